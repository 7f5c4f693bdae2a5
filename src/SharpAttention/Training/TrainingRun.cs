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

    public void Save(string path, int epoch, int batchInEpoch)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var meta = new Dictionary<string, string> { ["bad_evaluations"] = BadEvaluations.ToString(CultureInfo.InvariantCulture) };
        if (BestValue is { } b) meta["best_metric"] = b.ToString("R", CultureInfo.InvariantCulture);
        Checkpoint.Save(path, model, Optimizer, Scheduler, new TrainingProgress(Step, epoch, batchInEpoch) { Metadata = meta }, generators,
                        Ema?.StateDict().Select(kv => new KeyValuePair<string, Tensor>(EmaPrefix + kv.Key, kv.Value)));
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
        if (p.Metadata.TryGetValue("best_metric", out var best)) BestValue = double.Parse(best, CultureInfo.InvariantCulture);
        if (p.Metadata.TryGetValue("bad_evaluations", out var bad)) BadEvaluations = int.Parse(bad, CultureInfo.InvariantCulture);
        if (options.MaxSteps is { } max && Step >= max) Done = true;
    }
}
