using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Cli.Tagging;

/// <summary>Where `train tag` gets its sentences: a recipe's corpus (Brown, fetched on first use; --data may name a
/// local copy), or the user's --data (CoNLL columns or JSON Lines) with optional --valid/--test files, the parts not
/// given split off --data by sentence with the recipe's shares.</summary>
public static class TagData
{
    /// <summary>The files and columns the user named.</summary>
    public sealed record Sources(string? Data, string? Valid, string? Test, int TokenColumn, int TagColumn, bool SplitGiven);

    public static TaggingSplit Load(TagRecipe recipe, Sources sources, Action<string> log)
    {
        if (recipe.Recipe is { } name)
        {
            if (sources.Valid != null || sources.Test != null)
                throw new UsageException($"--recipe {name} brings its own split; --valid and --test are for your own --data");
            if (sources.Data != null && !Directory.Exists(sources.Data)) throw new CliException($"--data {Shown.Quote(sources.Data)}: no such folder (a local copy of the Brown corpus)");
            var corpus = BrownCorpus.Open(sources.Data, log);
            log($"Brown corpus from {corpus.Directory}: original tagset, files ≡ 9 (mod 10) test" + (recipe.DevSplit ? ", files ≡ 8 (mod 10) validation" : ""));
            return TaggingData.Brown(corpus, recipe.DevSplit);
        }
        if (sources.Data is null) throw new UsageException("--data is required (CoNLL columns or JSON Lines of {\"tokens\", \"tags\"}), or choose --recipe brown-pos");
        var all = Read("--data", sources.Data, sources);
        var valid = sources.Valid is { } v ? Read("--valid", v, sources) : null;
        var test = sources.Test is { } t ? Read("--test", t, sources) : null;
        var (train, validPart, testPart) = UserSplit.Parts(all, valid, test, recipe.Split, sources.SplitGiven,
            (items, shares) => Splits.RandomSplit(items, shares, recipe.Seed));
        return new TaggingSplit(train, validPart, testPart);
    }

    /// <summary>One file of tagged sentences; a missing or empty one is named by its flag, a bad line by file:line.</summary>
    public static IReadOnlyList<TaggedSequence> Read(string flag, string path, Sources sources)
    {
        if (!File.Exists(path)) throw new CliException($"{flag} {Shown.Quote(path)} does not exist" + (Directory.Exists(path) ? " as a file (it is a folder)" : ""));
        var sentences = TaggingData.Read(path, sources.TokenColumn, sources.TagColumn);
        if (sentences.Count == 0) throw new CliException($"{flag} {Shown.Quote(path)} holds no tagged sentences");
        return sentences;
    }
}
