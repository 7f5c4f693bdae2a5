using SharpAttention.Cli.Contract;
using SharpAttention.Cli.G2p;
using SharpAttention.Cli.LanguageModeling;
using SharpAttention.Cli.Tagging;
using SharpAttention.Cli.Tasks;
using SharpAttention.Tasks.G2p;

namespace SharpAttention.Tests.Cli;

/// <summary>A recipe's key table names keys; their values come from the record's property of that JSON name and the
/// shared keys take one range in every task.</summary>
public class RecipeKeysTests
{
    sealed record Sample
    {
        public int DModel { get; init; } = 64;
        public long? MaxSteps { get; init; }
        public ulong Seed { get; init; } = 3;
        public double WordDropout { get; init; }
        public string Name { get; init; } = "x";
    }

    static readonly RecipeKeys<Sample> Keys = new("d_model", "max_steps", ("seed", Bounds.Integers(0, 10)), ("word_dropout", new Bounds(0, 1, MaxOpen: true)));

    [Fact]
    public void Values_are_read_from_the_property_of_each_key_and_checked_against_its_range()
    {
        Keys.Check(new Sample());   // max_steps unset (null) is allowed
        Assert.Equal(["d_model", "max_steps", "seed", "word_dropout"], Keys.Ranges.Select(r => r.Key));
        Assert.Equal("1..4096", Keys.RangeOf("d_model").ToString());
        Assert.Equal("d_model = 0 must lie in 1..4096", Assert.Throws<ConfigKeyException>(() => Keys.Check(new Sample { DModel = 0 })).Message);
        Assert.Equal(["max_steps"], Assert.Throws<ConfigKeyException>(() => Keys.Check(new Sample { MaxSteps = 0 })).Keys);
        Assert.Equal(["seed"], Assert.Throws<ConfigKeyException>(() => Keys.Check(new Sample { Seed = 11 })).Keys);
        Assert.Equal(["word_dropout"], Assert.Throws<ConfigKeyException>(() => Keys.Check(new Sample { WordDropout = 1 })).Keys);
    }

    [Fact]
    public void A_key_without_a_property_a_range_or_a_number_is_refused_when_the_table_is_built()
    {
        Assert.Contains("no key d_modell", Assert.Throws<ArgumentException>(() => new RecipeKeys<Sample>("d_modell")).Message);
        Assert.Contains("give its range", Assert.Throws<ArgumentException>(() => new RecipeKeys<Sample>("seed")).Message);
        Assert.Contains("not a number", Assert.Throws<ArgumentException>(() => new RecipeKeys<Sample>(("name", Bounds.Positive))).Message);
    }

    /// <summary>The ranges each task's table had when every row was spelled out (README, "Config keys").</summary>
    [Theory]
    [InlineData("d_model", "1..4096")]
    [InlineData("dropout", "[0, 1)")]
    [InlineData("learning_rate", "> 0, finite")]
    [InlineData("warmup_steps", "0..1,000,000,000")]
    [InlineData("weight_decay", "[0, 1]")]
    public void The_shared_keys_keep_their_ranges_in_every_task(string key, string range)
    {
        Assert.Equal(range, TagRecipe.RangeOf(key).ToString());
        Assert.Equal(range, LmRecipe.RangeOf(key).ToString());
        Assert.Equal(range, G2pRecipeKeys.RangeOf(key).ToString());
    }

    [Fact]
    public void Each_task_checks_its_recipe_through_its_table()
    {
        Assert.Equal(["word_dropout"], Assert.Throws<ConfigKeyException>(() => (TagRecipe.Tiny with { WordDropout = 1 }).Validate()).Keys);
        Assert.Equal(["vocab_size"], Assert.Throws<ConfigKeyException>(() => (TagRecipe.Tiny with { VocabSize = 7 }).Validate()).Keys);
        Assert.Equal(["test_share"], Assert.Throws<ConfigKeyException>(() => (LmRecipe.Tiny with { TestShare = 0.6 }).Validate()).Keys);
        Assert.Equal(["ema_decay"], Assert.Throws<ConfigKeyException>(() => G2pRecipeKeys.Validate(G2pRecipe.Tiny with { EmaDecay = 1 })).Keys);
        Assert.Equal(["beam_width"], Assert.Throws<ConfigKeyException>(() => G2pRecipeKeys.Validate(G2pRecipe.Tiny with { BeamWidth = 0 })).Keys);
    }
}
