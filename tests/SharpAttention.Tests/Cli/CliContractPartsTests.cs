using SharpAttention.Cli;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.G2p;

namespace SharpAttention.Tests.Cli;

/// <summary>The shared pieces of the error contract that every task reuses: ranges, how values are shown, spelling
/// suggestions — and the README's tables, which must state the ranges the code checks.</summary>
public class CliContractPartsTests
{
    [Theory]
    [InlineData(1, 256, "1..256")]
    [InlineData(0, 10_000_000, "0..10,000,000")]
    [InlineData(8, 4096, "8..4096")]
    public void Whole_number_ranges_read_as_min_dot_dot_max(long min, long max, string shown) =>
        Assert.Equal(shown, Bounds.Integers(min, max).ToString());

    [Fact]
    public void Ranges_contain_what_they_say()
    {
        var dropout = new Bounds(0, 1, MaxOpen: true);
        Assert.Equal("[0, 1)", dropout.ToString());
        Assert.True(dropout.Contains(0));
        Assert.True(dropout.Contains(0.999));
        Assert.False(dropout.Contains(1));
        Assert.False(dropout.Contains(double.NaN));
        Assert.Equal("> 0, finite", Bounds.Positive.ToString());
        Assert.True(Bounds.Positive.Contains(1e300));
        Assert.False(Bounds.Positive.Contains(0));
        Assert.False(Bounds.Positive.Contains(double.PositiveInfinity));
        Assert.False(Bounds.Integers(1, 10).Contains(2.5));
        var e = Assert.Throws<UsageException>(() => Check.Flag("--beam", 0, Bounds.Integers(1, 256)));
        Assert.Equal("--beam must lie in 1..256, got 0", e.Message);
        Assert.Equal(2, e.ExitCode);
        var k = Assert.Throws<ConfigKeyException>(() => Check.Key("dropout", 1.5, dropout));
        Assert.Equal("dropout = 1.5 must lie in [0, 1)", k.Message);
        Assert.Equal(["dropout"], k.Keys);
        Assert.Equal(1, k.ExitCode);
    }

    [Fact]
    public void Values_are_shortened_and_escaped()
    {
        Assert.Equal("'" + new string('x', 59) + "…'", Shown.Quote(new string('x', 100)));
        Assert.Equal("'short'", Shown.Quote("short"));
        Assert.Equal("'a\\u0000b\\nc\\u001B[0m\\u202E\\uFFFD'", Shown.Quote("a\0b\nc\u001b[0m\u202e\uFFFD"));
        Assert.Equal("'🙂 é'", Shown.Quote("🙂 é"));                                  // printable text stays as it is
        Assert.Equal("'\\uD800'", Shown.Quote("\ud800"));                            // a lone surrogate is escaped
        Assert.Equal("Error(s) in loading: Missing key \"a\". Unexpected key \"b\".", Shown.Line("Error(s) in loading:\n\tMissing key \"a\".\n\tUnexpected key \"b\"."));
        Assert.Equal("got '" + new string('w', 59) + "…' here", Shown.Line("got '" + new string('w', 5000) + "' here"));
        Assert.Equal(Shown.MaxLine, Shown.Line(new string('p', 10_000)).Length);
    }

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("same", "same", 0)]
    public void Edit_distance_counts_insertions_deletions_and_substitutions(string a, string b, int distance) =>
        Assert.Equal(distance, Spelling.Distance(a, b));

    [Fact]
    public void The_closest_key_is_suggested() =>
        Assert.Equal("learning_rate", Spelling.Closest("learnin_rate", ["epochs", "learning_rate", "warmup_steps"]));

    /// <summary>The README documents every key's range: a row per key whose text starts with the range the code checks.</summary>
    [Fact]
    public void The_readme_states_the_ranges_the_recipe_checks()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SharpAttention.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var readme = File.ReadAllLines(Path.Combine(dir.FullName, "README.md"));
        foreach (var (key, range) in G2pRecipeKeys.KeyRanges)
            Assert.Contains(readme, line => line.StartsWith($"| `{key}` | {range}", StringComparison.Ordinal));
        Assert.Contains(readme, line => line.StartsWith($"| `--beam` | {G2pRecipeKeys.RangeOf("beam_width")}", StringComparison.Ordinal));
        Assert.Contains(readme, line => line.StartsWith($"| `--epochs` | {G2pRecipeKeys.RangeOf("epochs")}", StringComparison.Ordinal));
        Assert.Contains(readme, line => line.StartsWith($"| `--max-steps` | {G2pRecipeKeys.RangeOf("max_steps")}", StringComparison.Ordinal));
    }
}
