using SharpAttention.Cli.Contract;
using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.LanguageModeling;

namespace SharpAttention.Cli.LanguageModeling;

/// <summary>Where `train lm` gets its text: the Brown corpus for --recipe brown-lm (the cache, fetched on first use, or
/// --data naming a local copy), or the user's --data with optional --valid / --test, the parts not given split off
/// --data's documents.</summary>
public static class LmData
{
    public sealed record Sources(string? Data, string? Valid, string? Test);

    public static LanguageModelCorpus Load(LmRecipe recipe, Sources sources, Action<string> log)
    {
        if (recipe.Recipe is { } name)
        {
            if (sources.Valid != null || sources.Test != null)
                throw new UsageException($"--recipe {name} brings its own split; --valid and --test are for your own --data");
            if (sources.Data != null && !Directory.Exists(sources.Data)) throw new CliException($"--data {Shown.Quote(sources.Data)}: folder does not exist");
            var corpus = BrownCorpus.Open(sources.Data, log);
            log($"Brown corpus from {corpus.Directory}: Bengio et al. 2003's split, 800,000 / 200,000 / rest tokens");
            return CorpusSources.Brown(corpus);
        }
        if (sources.Data is null) throw new UsageException("--data is required (a plain-text file or folder), or choose --recipe brown-lm");
        foreach (var (flag, path) in new[] { ("--data", sources.Data), ("--valid", sources.Valid), ("--test", sources.Test) })
            if (path != null && !File.Exists(path) && !Directory.Exists(path)) throw new CliException($"{flag} {Shown.Quote(path)} does not exist");
        return CorpusSources.Files(sources.Data, sources.Valid, sources.Test, recipe.DocumentSplit, recipe.ValidShare, recipe.TestShare, recipe.Seed);
    }
}
