using System.Diagnostics;
using SharpAttention.Autograd;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;

namespace SharpAttention.Training;

/// <summary>
/// A model-agnostic training loop: the caller supplies the batches of each epoch and a function from a batch to its
/// loss; the trainer does the rest — gradient accumulation, clipping, optimizer and schedule steps, evaluation
/// after epochs, best-checkpoint keeping, early stopping, metrics files, and bit-exact resumption. It knows
/// nothing about Transformers (minGPT's trainer split). Same seed and thread count ⇒ bit-identical losses.
/// </summary>
public sealed class Trainer(TrainerOptions options)
{
    readonly TrainerOptions options = Validate(options);

    /// <summary>After every <see cref="TrainerOptions.LogEvery"/>-th optimizer step.</summary>
    public event Action<StepEvent>? StepCompleted;

    /// <summary>After each evaluation.</summary>
    public event Action<EvaluationEvent>? Evaluated;

    /// <summary>Before each epoch's first batch (also a resumed epoch).</summary>
    public event Action<int>? EpochStarted;

    /// <summary>When a run resumes from a checkpoint, before its first step.</summary>
    public event Action<ResumeEvent>? Resumed;

    /// <summary>Something was repaired rather than refused: a stale temporary file removed, a torn metrics line skipped.</summary>
    public event Action<string>? Warning;

    /// <summary>
    /// Trains <paramref name="model"/>. <paramref name="batches"/> gives an epoch's batches and must give the same
    /// ones for the same epoch (e.g. <c>loader.Epoch</c> over a seeded sampler) — resuming relies on it.
    /// <paramref name="loss"/> runs the model on a batch (in training mode) and returns the scalar loss.
    /// <paramref name="evaluate"/>, if given, runs in eval mode without gradients and returns named metrics
    /// (<see cref="TrainerOptions.BestMetric"/> must be among them). <paramref name="generators"/> names any
    /// generator besides <see cref="Generator.Default"/> whose state the run depends on.
    /// </summary>
    public TrainingResult Fit<TBatch>(Module model, Optimizer optimizer, LRScheduler? scheduler,
                                      Func<int, IEnumerable<TBatch>> batches, Func<TBatch, BatchLoss> loss,
                                      Func<IReadOnlyDictionary<string, double>>? evaluate = null,
                                      IReadOnlyDictionary<string, Generator>? generators = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        return Fit(model, null, optimizer, scheduler, batches, (_, batch) => loss(batch), evaluate, generators);
    }

    /// <summary>
    /// Trains <paramref name="parallel"/>'s model with data parallelism: consecutive batches go to its replicas at once
    /// (one micro-batch each), so a step of <see cref="TrainerOptions.GradientAccumulation"/> micro-batches runs them
    /// in rounds of <see cref="DataParallel.Count"/> (it must be at least the replica count); without random ops the
    /// gradients are bit for bit those of sequential accumulation. <paramref name="loss"/> gets the replica to run. The
    /// optimizer, the evaluation and the checkpoints see only the model.
    /// </summary>
    public TrainingResult Fit<TBatch>(DataParallel parallel, Optimizer optimizer, LRScheduler? scheduler,
                                      Func<int, IEnumerable<TBatch>> batches, Func<Module, TBatch, BatchLoss> loss,
                                      Func<IReadOnlyDictionary<string, double>>? evaluate = null,
                                      IReadOnlyDictionary<string, Generator>? generators = null)
    {
        ArgumentNullException.ThrowIfNull(parallel);
        if (options.GradientAccumulation < parallel.Count)
            throw new ArgumentException($"trainer: {parallel.Count} replicas need GradientAccumulation ≥ {parallel.Count} (each replica takes one " +
                                        $"micro-batch of a step); got {options.GradientAccumulation}", nameof(parallel));
        return Fit(parallel.Model, parallel, optimizer, scheduler, batches, loss, evaluate, generators);
    }

    TrainingResult Fit<TBatch>(Module model, DataParallel? parallel, Optimizer optimizer, LRScheduler? scheduler,
                               Func<int, IEnumerable<TBatch>> batches, Func<Module, TBatch, BatchLoss> loss,
                               Func<IReadOnlyDictionary<string, double>>? evaluate,
                               IReadOnlyDictionary<string, Generator>? generators)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(loss);
        var run = new TrainingRun(model, optimizer, scheduler, generators, options);
        using var log = Start(run);
        var parameters = model.Parameters().ToArray();
        var clock = Stopwatch.StartNew();
        var losses = new List<double>();
        bool stoppedEarly = false;
        int width = parallel?.Count ?? 1;
        var group = new List<TBatch>(width);

        for (int epoch = run.Epoch; epoch < options.Epochs && !run.Done && !stoppedEarly; epoch++)
        {
            run.Epoch = epoch;
            EpochStarted?.Invoke(epoch);
            if (parallel != null) parallel.SetTraining(true);
            else model.Train();
            var pending = new Accumulation(options.ReleaseStepTensors);
            int index = 0;
            bool midEpoch = false;
            try
            {
                foreach (var batch in batches(epoch))
                {
                    if (index++ < run.SkipBatches) continue;
                    group.Add(batch);
                    if (group.Count < width && pending.Count + group.Count < options.GradientAccumulation) continue;
                    RunGroup(model, parallel, group, loss, pending, run.Step, epoch);
                    if (pending.Count < options.GradientAccumulation) continue;
                    Step(run, pending, parameters, clock, log, losses, batchInEpoch: index);
                    pending = new Accumulation(options.ReleaseStepTensors);
                    if (run.Done)
                    {
                        midEpoch = true;
                        break;
                    }
                }
                // A last, smaller accumulation still makes a step, so no batch of the epoch is wasted.
                if (!midEpoch && group.Count > 0) RunGroup(model, parallel, group, loss, pending, run.Step, epoch);
                if (!midEpoch && pending.Count > 0) Step(run, pending, parameters, clock, log, losses, batchInEpoch: index);
            }
            catch
            {
                // A failed micro-batch must not leave part of a step's gradients for the next run to add to.
                run.Optimizer.ZeroGrad();
                throw;
            }
            finally
            {
                group.Clear();
                pending.Dispose();
            }
            run.SkipBatches = 0;

            bool evaluateNow = evaluate != null && (run.Done || (epoch + 1) % options.EvaluateEvery == 0 || epoch + 1 == options.Epochs);
            if (evaluateNow)
            {
                var metrics = Evaluate(model, evaluate!);
                bool OfferAndSaveBest(IReadOnlyDictionary<string, double> scores)
                {
                    bool better = run.Offer(scores, options);
                    // Logged before the best checkpoint is saved: a run resumed from that checkpoint does not evaluate
                    // again, so the row must already be there; one resumed from an older checkpoint rewinds it away.
                    log?.Write([new("kind", "eval"), new("step", run.Step), new("epoch", epoch),
                                .. scores.Select(kv => new KeyValuePair<string, object>(kv.Key, kv.Value)),
                                new("is_best", better), new("elapsed_s", clock.Elapsed.TotalSeconds)]);
                    if (better && options.CheckpointDir != null)
                        run.Save(options.CheckpointDir, TrainingRun.BestFile, midEpoch ? epoch : epoch + 1, midEpoch ? index : 0);
                    return better;
                }
                bool best;
                if (run.Ema is { NumAveraged: > 0 } ema)
                {
                    // Score the averaged weights, and keep them in the best checkpoint; the trained weights' scores go to the log as raw_*.
                    var raw = metrics;
                    (metrics, best) = ema.WithAveragedParameters(() =>
                    {
                        var averaged = new Dictionary<string, double>(Evaluate(model, evaluate!).Concat(raw.Select(kv => KeyValuePair.Create("raw_" + kv.Key, kv.Value))));
                        return (averaged, OfferAndSaveBest(averaged));
                    });
                }
                else best = OfferAndSaveBest(metrics);
                stoppedEarly = options.EarlyStoppingPatience is { } patience && run.BadEvaluations >= patience;
                Evaluated?.Invoke(new EvaluationEvent(run.Step, epoch, metrics, best, clock.Elapsed));
            }
            // Where to pick up: the next epoch, or the rest of this one after a MaxSteps stop.
            if (options.CheckpointDir != null)
                run.Save(options.CheckpointDir, TrainingRun.LastFile, midEpoch ? epoch : epoch + 1, midEpoch ? index : 0);
        }
        string? bestPath = options.CheckpointDir != null && run.BestValue != null ? Path.Combine(options.CheckpointDir, TrainingRun.BestFile) : null;
        return new TrainingResult(run.Step, Math.Min(options.Epochs, run.Epoch + 1), run.BestValue, bestPath, stoppedEarly, losses);
    }

    /// <summary>Before the first step: clears what killed saves left, resumes (or seeds) and opens the metrics file,
    /// rewound to the resumed step.</summary>
    MetricsLog? Start(TrainingRun run)
    {
        string?[] folders = [options.CheckpointDir, options.MetricsFile is { } m ? Path.GetDirectoryName(Path.GetFullPath(m)) : null];
        foreach (var folder in folders.OfType<string>().Distinct())
            foreach (var stale in AtomicFile.RemoveStale(folder))
                Warning?.Invoke($"removed {Path.Combine(folder, stale)}, left by a save that never finished");
        if (options.Resume)
        {
            var resumedFrom = run.ResumeNewest(options.CheckpointDir!);   // not inside ?.Invoke: it must run without listeners
            Resumed?.Invoke(resumedFrom);
        }
        else if (options.ResumeFrom is { } resume)
        {
            run.Resume(resume);
            Resumed?.Invoke(new ResumeEvent(resume, run.Step, []));
        }
        else Generator.ManualSeed(options.Seed);
        bool resumed = options.Resume || options.ResumeFrom != null;
        return options.MetricsFile is { } file ? new MetricsLog(file, resumed ? run.Step : null, message => Warning?.Invoke(message)) : null;
    }

    void Step(TrainingRun run, Accumulation pending, Tensor[] parameters, Stopwatch clock, MetricsLog? log, List<double> losses, int batchInEpoch)
    {
        double norm, lr;
        using (pending)
        {
            norm = options.ClipGradNorm is { } max ? GradClip.ClipGradNorm_(parameters, max) : GradClip.GradNorm(parameters);
            lr = run.Optimizer.LearningRate;
            run.Optimizer.Step();
            run.Optimizer.ZeroGrad();
        }
        run.Ema?.Update();
        run.Scheduler?.Step();
        run.Step++;
        double meanLoss = pending.LossSum / pending.Count;
        losses.Add(meanLoss);
        double seconds = pending.Clock.Elapsed.TotalSeconds;
        var e = new StepEvent(run.Step, run.Epoch, meanLoss, lr, norm, pending.Tokens, seconds > 0 ? pending.Tokens / seconds : 0, clock.Elapsed);
        if (run.Step % options.LogEvery == 0)
        {
            log?.Write([new("kind", "step"), new("step", e.Step), new("epoch", e.Epoch), new("loss", e.Loss), new("lr", e.LearningRate),
                        new("grad_norm", e.GradNorm), new("tokens", e.Tokens), new("tokens_per_s", e.TokensPerSecond),
                        new("elapsed_s", e.Elapsed.TotalSeconds)]);
            StepCompleted?.Invoke(e);
        }
        if (options.CheckpointDir != null && options.CheckpointEvery is { } every && run.Step % every == 0)
            run.Save(options.CheckpointDir, TrainingRun.LastFile, run.Epoch, batchInEpoch);
        if (options.MaxSteps is { } maxSteps && run.Step >= maxSteps) run.Done = true;
    }

    /// <summary>Forward and backward of the gathered micro-batches: on the model, or one per replica at once.</summary>
    void RunGroup<TBatch>(Module model, DataParallel? parallel, List<TBatch> group, Func<Module, TBatch, BatchLoss> loss,
                          Accumulation pending, long step, int epoch)
    {
        int of = options.GradientAccumulation;
        if (parallel == null)
            pending.Record(Accumulation.Backward(loss(model, group[0]), of, step, epoch));
        else
        {
            var results = parallel.Run(group.Count, (r, replica) => Accumulation.Backward(loss(replica, group[r]), of, step, epoch), options.ReleaseStepTensors);
            parallel.AddGradients(group.Count);
            foreach (var result in results) pending.Record(result);
        }
        group.Clear();
    }

    static IReadOnlyDictionary<string, double> Evaluate(Module model, Func<IReadOnlyDictionary<string, double>> evaluate)
    {
        // The training steps' buffers are of no use to decoding (other shapes), and decoding's none to the steps that
        // follow: hand each phase's back to the operating system rather than keep both resident (a full collection each).
        StoragePool.ReturnIdleMemory();
        model.Eval();
        try
        {
            using (GradMode.NoGrad()) return evaluate();
        }
        finally
        {
            model.Train();
            StoragePool.ReturnIdleMemory();
        }
    }

    static TrainerOptions Validate(TrainerOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: Epochs must be ≥ 0, got {o.Epochs}");
        if (o.GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: GradientAccumulation must be ≥ 1, got {o.GradientAccumulation}");
        if (o.LogEvery < 1) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: LogEvery must be ≥ 1, got {o.LogEvery}");
        if (o.EvaluateEvery < 1) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: EvaluateEvery must be ≥ 1, got {o.EvaluateEvery}");
        if (o.ClipGradNorm is <= 0) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: ClipGradNorm must be positive, got {o.ClipGradNorm}");
        if (o.CheckpointEvery is <= 0) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: CheckpointEvery must be positive, got {o.CheckpointEvery}");
        if (o.MaxSteps is < 0) throw new ArgumentOutOfRangeException(nameof(o), $"trainer: MaxSteps must be ≥ 0, got {o.MaxSteps}");
        if (o.ResumeFrom != null && !File.Exists(o.ResumeFrom)) throw new FileNotFoundException($"trainer: no checkpoint to resume from at '{o.ResumeFrom}'", o.ResumeFrom);
        if (o.Resume && (o.CheckpointDir == null || o.ResumeFrom != null))
            throw new ArgumentException("trainer: Resume needs a CheckpointDir to resume from, and excludes ResumeFrom", nameof(o));
        return o;
    }

    /// <summary>The micro-batches of one optimizer step, and the tensor scope that frees their activations and
    /// gradients when the step is done (so a step after warm-up allocates almost nothing).</summary>
    sealed class Accumulation(bool useScope) : IDisposable
    {
        readonly TensorScope? scope = useScope ? TensorScope.Begin() : null;
        public int Count;
        public double LossSum;
        public long Tokens;
        public readonly Stopwatch Clock = Stopwatch.StartNew();

        /// <summary>Checks a micro-batch's loss and back-propagates it (divided by the accumulation count); returns
        /// its value and tokens.</summary>
        public static (double Value, long Tokens) Backward(BatchLoss b, int of, long step, int epoch)
        {
            if (b.Loss is null || b.Loss.NumEl != 1)
                throw new InvalidOperationException($"trainer: the loss function must return a scalar tensor, got shape {(b.Loss is null ? "null" : ShapeUtil.Format(b.Loss.Shape))}");
            double value = b.Loss.ItemDouble();
            if (!double.IsFinite(value))
                throw new TrainingDivergedException($"trainer: the loss is {value} at step {step + 1} (epoch {epoch}); lower the learning rate or check the data");
            (of > 1 ? b.Loss / of : b.Loss).Backward();
            return (value, b.Tokens);
        }

        public void Record((double Value, long Tokens) micro)
        {
            Count++;
            LossSum += micro.Value;
            Tokens += micro.Tokens;
        }

        public void Dispose() => scope?.Dispose();
    }
}
