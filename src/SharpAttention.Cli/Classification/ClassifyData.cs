using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.Classification;

namespace SharpAttention.Cli.Classification;

/// <summary>Where `train classify` gets its texts: a recipe's data set (SpamAssassin, fetched on first use; --data may
/// name a local copy), or the user's --data with optional --valid/--test files, the parts not given split off --data
/// by the recipe's stratified shares.</summary>
public static class ClassifyData
{
    /// <summary>The files and columns the user named.</summary>
    public sealed record Sources(string? Data, string? Valid, string? Test, TextColumns Columns, bool SplitGiven);

    public static ClassificationSplit Load(ClassifyRecipe recipe, Sources sources, Action<string> log)
    {
        if (recipe.Recipe is { } name)
        {
            if (sources.Valid != null || sources.Test != null)
                throw new UsageException($"--recipe {name} brings its own split; --valid and --test are for your own --data");
            var root = SpamAssassin.Resolve(sources.Data, log);
            log($"SpamAssassin ({(name == "spam" ? "Géron's setting: easy-ham-1 + spam-1, 80/20" : "hard setting: all five folders, 80/10/10")}, seed {SpamAssassin.Seed}, bodies only) from {root}");
            return name == "spam" ? SpamAssassin.Geron(root) : SpamAssassin.Hard(root);
        }
        if (sources.Data is null) throw new UsageException("--data is required (a CSV/TSV, JSON Lines file or a folder per class), or choose --recipe spam");
        var all = Read("--data", sources.Data, sources.Columns);
        var valid = sources.Valid is { } v ? Read("--valid", v, sources.Columns) : null;
        var test = sources.Test is { } t ? Read("--test", t, sources.Columns) : null;
        var (train, validPart, testPart) = UserSplit.Parts(all, valid, test, recipe.Split, sources.SplitGiven,
            (items, shares) => Splits.StratifiedSplit(items, e => e.Label, shares, recipe.Seed));
        return new ClassificationSplit(train, validPart, testPart);
    }

    /// <summary>One file or folder of labelled texts; a missing one is named by its flag.</summary>
    public static IReadOnlyList<LabeledText> Read(string flag, string path, TextColumns columns)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new CliException($"{flag} {Shown.Quote(path)} does not exist");
        var texts = ClassificationData.Read(path, columns);
        if (texts.Count == 0) throw new CliException($"{flag} {Shown.Quote(path)} holds no labelled texts");
        return texts;
    }
}
