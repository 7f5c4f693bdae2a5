using System.Globalization;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;

namespace SharpAttention.Training;

/// <summary>The mutable state of one <c>Trainer.Fit</c> call and its checkpoint round trip.</summary>
internal sealed class TrainingRun(Module model, Optimizer optimizer, LRScheduler? scheduler,
                          IReadOnlyDictionary<string, Generator>? generators, TrainerOptions options)
{
    public Optimizer Optimizer { get; } = optimizer;
    public ExponentialMovingAverage? Ema { get; } = options.EmaDecay is { } decay ? new ExponentialMovingAverage(model, decay) : null;
    public LRScheduler? Scheduler { get; } = scheduler;
    public long Step;
    public int Epoch;
    public int SkipBatches;
    public bool Done;
    public double? BestValue;
    public int BadEvaluations;

    /// <summary>Records an evaluation; true when it is the best so far.</summary>
    public bool Offer(IReadOnlyDictionary<string, double> metrics, TrainerOptions o)
    {
        if (!metrics.TryGetValue(o.BestMetric, out double value))
            throw new InvalidOperationException(
                $"trainer: the evaluation returned no '{o.BestMetric}' (it returned {string.Join(", ", metrics.Keys.Select(k => $"'{k}'"))}); set TrainerOptions.BestMetric");
        bool better = BestValue is not { } best || (o.GreaterIsBetter ? value > best : value < best);
        if (better)
        {
            BestValue = value;
            BadEvaluations = 0;
        }
        else BadEvaluations++;
        return better;
    }

    /// <summary>The checkpoints a run keeps in its folder: the latest, the one it replaced, and the best so far.</summary>
    public const string LastFile = "last.safetensors", PreviousFile = "previous.safetensors", BestFile = "best.safetensors";

    /// <summary>Writes <see cref="LastFile"/> (keeping the one it replaces as <see cref="PreviousFile"/>) or <see cref="BestFile"/>.</summary>
    public void Save(string folder, string name, int epoch, int batchInEpoch)
    {
        Directory.CreateDirectory(folder);
        var meta = new Dictionary<string, string> { ["bad_evaluations"] = BadEvaluations.ToString(CultureInfo.InvariantCulture) };
        if (BestValue is { } b) meta["best_metric"] = b.ToString("R", CultureInfo.InvariantCulture);
        Checkpoint.Save(Path.Combine(folder, name), model, Optimizer, Scheduler, new TrainingProgress(Step, epoch, batchInEpoch) { Metadata = meta },
                        generators, Ema?.StateDict().Select(kv => new KeyValuePair<string, Tensor>(EmaPrefix + kv.Key, kv.Value)),
                        previousPath: name == LastFile ? Path.Combine(folder, PreviousFile) : null);
    }

    /// <summary>
    /// Resumes from the newest checkpoint of <paramref name="folder"/> that loads — last, then previous, then best —
    /// so a torn, truncated or hostile last checkpoint costs the steps since the one before, not the run. Each refused
    /// file is named with its reason; when none loads the error lists them all. (With a weight average, best holds the
    /// averaged weights: resuming from it continues from those.)
    /// </summary>
    public ResumeEvent ResumeNewest(string folder)
    {
        var refused = new List<string>();
        foreach (var name in new[] { LastFile, PreviousFile, BestFile })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                refused.Add($"{name}: missing");
                continue;
            }
            try
            {
                Resume(path);
                return new ResumeEvent(path, Step, refused);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException or StateDictException)
            {
                refused.Add($"{name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        throw new InvalidDataException($"trainer: no checkpoint in '{folder}' can be resumed from — {string.Join("; ", refused)}");
    }

    const string EmaPrefix = "ema.";

    public void Resume(string path)
    {
        Dictionary<string, Tensor>? ema = null;
        if (Ema != null)
        {
            // Checked before Checkpoint.Load changes anything, so a mismatch leaves the model as it was.
            ema = Checkpoint.LoadExtraTensors(path, EmaPrefix);
            if (ema.Count == 0) throw new InvalidDataException($"checkpoint '{path}' holds no parameter average, but TrainerOptions.EmaDecay asks for one");
            var problems = Ema.CheckState(ema);
            if (problems.Count > 0) throw new InvalidDataException($"checkpoint '{path}': its parameter average does not fit the model: {string.Join("; ", problems)}");
        }
        var p = Checkpoint.Load(path, model, Optimizer, Scheduler, generators);
        if (ema != null) Ema!.LoadStateDict(ema);
        (Step, Epoch, SkipBatches) = (p.Step, p.Epoch, p.BatchInEpoch);
        if (p.Metadata.TryGetValue("best_metric", out var best))
            BestValue = double.TryParse(best, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                : throw new InvalidDataException($"checkpoint '{path}': metadata 'user.best_metric' = '{best}' is not a number");
        if (p.Metadata.TryGetValue("bad_evaluations", out var bad))
            BadEvaluations = int.TryParse(bad, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
                : throw new InvalidDataException($"checkpoint '{path}': metadata 'user.bad_evaluations' = '{bad}' is not a count");
        if (options.MaxSteps is { } max && Step >= max) Done = true;
    }
}
