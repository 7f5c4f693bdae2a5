namespace SharpAttention.Cli.Tasks;

/// <summary>The rules of a training run's output folder: a new run never overwrites one (it needs --resume), and a
/// resumed run keeps its network and data — only the schedule's length (epochs, max_steps) may change.</summary>
public static class RunFolder
{
    /// <param name="folder">--out</param>
    /// <param name="checkpoints">the checkpoint folder's name inside it</param>
    /// <param name="resume">whether --resume was given</param>
    /// <param name="sameRun">resuming: whether the recipe equals the saved one but for the schedule</param>
    public static void Check(string folder, string checkpoints, bool resume, Func<bool> sameRun)
    {
        var last = Path.Combine(folder, checkpoints, "last.safetensors");
        if (!resume)
        {
            if (File.Exists(last)) throw new CliException($"{folder} already holds a training run: add --resume to continue it, or choose another --out");
            return;
        }
        if (!File.Exists(last)) throw new CliException($"--resume: there is no checkpoint to resume from at {last}");
        if (!sameRun()) throw new CliException($"--resume: the recipe differs from the one saved in {folder}; only the schedule (epochs, max_steps) may change");
    }
}
