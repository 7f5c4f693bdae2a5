namespace SharpAttention.Cli.Tasks;

/// <summary>The tasks `attn` knows, and which of them a model folder belongs to (so `predict` and `attend` need no
/// task name).</summary>
public static class TaskCatalog
{
    /// <summary>A fresh instance of every task (their flags belong to one parse). lm and tag come before classify: all keep a
    /// config.json, and lm's and tag's name their architecture.</summary>
    public static IReadOnlyList<CliTask> Create() => [new G2p.G2pTask(), new LanguageModeling.LmTask(), new Tagging.TagTask(), new Classification.ClassifyTask()];

    /// <summary>The task whose model <paramref name="folder"/> holds.</summary>
    /// <exception cref="CliException">the folder is missing or holds no model of any task.</exception>
    public static CliTask ForModel(IReadOnlyList<CliTask> tasks, string folder)
    {
        if (!Directory.Exists(folder)) throw new CliException($"--model: folder {Contract.Shown.Quote(folder)} does not exist");
        return tasks.FirstOrDefault(t => t.Owns(folder))
            ?? throw new CliException($"--model {Contract.Shown.Quote(folder)} holds no model: neither config.json nor recipe.json; is it a folder written by `attn train`?");
    }
}
