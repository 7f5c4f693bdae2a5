namespace SharpAttention.Cli.Tasks;

/// <summary>What every task's recipe record shares with the common train flags: its schedule's length, which alone may
/// change when a run resumes.</summary>
public interface ITaskRecipe<TSelf> where TSelf : ITaskRecipe<TSelf>
{
    int Epochs { get; }
    long? MaxSteps { get; }

    /// <summary>The same recipe with another schedule length.</summary>
    TSelf WithSchedule(int epochs, long? maxSteps);
}

/// <summary>The rules of a run folder every task keeps: a new run never overwrites one (it needs --resume), and a
/// resumed run keeps its network and data — only the schedule's length (epochs, max_steps) may change.</summary>
public static class RunFolder
{
    /// <param name="recipe">the recipe the command line asks for</param>
    /// <param name="folder">--out</param>
    /// <param name="lastCheckpoint">the checkpoint a resumed run continues from</param>
    /// <param name="resume">--resume given</param>
    /// <param name="saved">reads the recipe.json the run saved</param>
    public static void Check<T>(T recipe, string folder, string lastCheckpoint, bool resume, Func<T> saved) where T : ITaskRecipe<T>
    {
        if (!resume)
        {
            if (File.Exists(lastCheckpoint)) throw new CliException($"{folder} already holds a training run: add --resume to continue it, or choose another --out");
            return;
        }
        if (!File.Exists(lastCheckpoint)) throw new CliException($"--resume: there is no checkpoint to resume from at {lastCheckpoint}");
        var before = saved();
        if (!Equals(recipe.WithSchedule(before.Epochs, before.MaxSteps), before))
            throw new CliException($"--resume: the recipe differs from the one saved in {folder}; only the schedule (epochs, max_steps) may change");
    }

    /// <summary>A model folder read by the task's loader, every problem with it one line naming the folder.</summary>
    public static T Load<T>(string folder, Func<string, T> load)
    {
        try
        {
            return load(folder);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NN.StateDictException or IOException or ArgumentException)
        {
            throw new CliException($"--model {Contract.Shown.Quote(folder)}: {e.Message}", e);
        }
    }

    /// <summary>The recipe.json a run saved in <paramref name="folder"/>, or null.</summary>
    public static T? ReadRecipe<T>(string folder, string recipeFile, Func<string, T, T> fromJson, T fallback) where T : class
    {
        var path = Path.Combine(folder, recipeFile);
        return File.Exists(path) ? fromJson(path, fallback) : null;
    }
}
