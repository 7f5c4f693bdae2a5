using System.Text.Json;
using SharpAttention.Data;
using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

public class TrainerTests
{
    /// <summary>Token + position embeddings, one post-LN self-attention block with dropout, and a per-position head.</summary>
    sealed class TinyTransformer : Module
    {
        readonly int d;
        readonly Tensor tok, pos;                      // (V, D), (T, D)
        readonly MultiheadAttention attn;
        readonly LayerNorm norm1, norm2;
        readonly Linear ff1, ff2, head;
        readonly Dropout drop;

        public TinyTransformer(int vocab, int t, int d, Generator g, Generator? dropout = null)
        {
            this.d = d;
            tok = RegisterParameter("tok", Tensor.Randn([vocab, d], g).RequiresGrad_())!;
            pos = RegisterParameter("pos", Tensor.Randn([t, d], g).RequiresGrad_())!;
            attn = RegisterModule("attn", new MultiheadAttention(d, 2, batchFirst: true, generator: g));
            norm1 = RegisterModule("norm1", new LayerNorm(d));
            norm2 = RegisterModule("norm2", new LayerNorm(d));
            ff1 = RegisterModule("ff1", new Linear(d, 2 * d, generator: g));
            ff2 = RegisterModule("ff2", new Linear(2 * d, d, generator: g));
            head = RegisterModule("head", new Linear(d, vocab, generator: g));
            drop = RegisterModule("drop", new Dropout(0.1, dropout));
        }

        public Tensor Forward(Tensor ids)              // (B, T) int64 → (B, T, V)
        {
            var h = F.Embedding(ids, tok) + pos;
            var (a, _) = attn.Forward(h, h, h, needWeights: false);
            h = norm1.Forward(h + drop.Forward(a));
            h = norm2.Forward(h + drop.Forward(ff2.Forward(ff1.Forward(h).Relu())));
            return head.Forward(h);
        }
    }

    const int Vocab = 8, T = 6;

    static (long[] X, long[] Y)[] ReverseData(int n, ulong seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var x = Enumerable.Range(0, T).Select(_ => g.NextInt64(Vocab)).ToArray();
            return (x, x.Reverse().ToArray());
        }).ToArray();
    }

    static (Tensor X, Tensor Y) Collate(IReadOnlyList<(long[] X, long[] Y)> items) =>
        (Tensor.FromArray(items.SelectMany(i => i.X).ToArray(), items.Count, T),
         Tensor.FromArray(items.SelectMany(i => i.Y).ToArray(), items.Count, T));

    /// <summary>Dropout draws from its own generator, named to the trainer so checkpoints carry it: tests run in
    /// parallel, and others draw from <see cref="Generator.Default"/> at any moment.</summary>
    sealed record Setup(TinyTransformer Model, Optimizer Optimizer, LRScheduler Scheduler,
                        DataLoader<(long[] X, long[] Y), (Tensor X, Tensor Y)> Loader, Dictionary<string, Generator> Generators)
    {
        public BatchLoss Loss((Tensor X, Tensor Y) b) =>
            new(F.CrossEntropy(Model.Forward(b.X).Reshape(-1, Vocab), b.Y.Reshape(-1)), b.Y.NumEl);
    }

    static Setup Make(int examples = 512, int batch = 32, double lr = 3e-3, long totalSteps = 400)
    {
        var dropout = new Generator(17);
        var model = new TinyTransformer(Vocab, T, 32, new Generator(11), dropout);
        var decay = model.NamedParameters().Where(p => p.Parameter.Dim >= 2).Select(p => p.Parameter);
        var noDecay = model.NamedParameters().Where(p => p.Parameter.Dim < 2).Select(p => p.Parameter);
        var opt = new AdamW([new ParamGroup(decay), new ParamGroup(noDecay, weightDecay: 0)], lr: lr, weightDecay: 0.01);
        var sched = new WarmupDecayLR(opt, 20, totalSteps);
        var data = ReverseData(examples, 5);
        var loader = new DataLoader<(long[] X, long[] Y), (Tensor X, Tensor Y)>(data, new BatchSampler(data.Length, batch, shuffle: true, seed: 3), Collate);
        return new Setup(model, opt, sched, loader, new() { ["dropout"] = dropout });
    }

    static double Accuracy(TinyTransformer model, (Tensor X, Tensor Y) held)
    {
        var m = new ClassificationMetrics(Vocab);
        m.UpdateFromLogits(model.Forward(held.X), held.Y);
        return m.Accuracy;
    }

    [Fact]
    public void ASmallTransformerLearnsToReverseSequences()
    {
        var s = Make(examples: 2048, totalSteps: 25 * 64);
        var held = Collate(ReverseData(500, 99));
        var trainer = new Trainer(new TrainerOptions { Epochs = 25, BestMetric = "accuracy", GreaterIsBetter = true });
        var result = trainer.Fit(s.Model, s.Optimizer, s.Scheduler, s.Loader.Epoch, s.Loss,
                                 () => new Dictionary<string, double> { ["accuracy"] = Accuracy(s.Model, held) });
        Assert.True(result.Losses[^1] < 0.1 * result.Losses[0], $"loss {result.Losses[0]:F3} → {result.Losses[^1]:F3}");
        Assert.True(result.BestMetric >= 0.99, $"held-out token accuracy {result.BestMetric:P2}");
    }

    [Fact]
    public void SameSeedGivesBitIdenticalLosses()
    {
        double[] Losses()
        {
            var s = Make();
            return new Trainer(new TrainerOptions { Epochs = 1, Seed = 42 }).Fit(s.Model, s.Optimizer, s.Scheduler, s.Loader.Epoch, s.Loss, generators: s.Generators).Losses.ToArray();
        }
        var a = Losses();
        Assert.Equal(16, a.Length);
        Assert.Equal(a, Losses());
    }

    [Fact]
    public void ResumingFromACheckpointIsBitExact()
    {
        using var dir = new TempDir();
        // Straight: 3 epochs of 16 steps with dropout, shuffling, AdamW and a schedule.
        var straight = Make();
        var straightResult = new Trainer(new TrainerOptions { Epochs = 3 }).Fit(straight.Model, straight.Optimizer, straight.Scheduler, straight.Loader.Epoch, straight.Loss, generators: straight.Generators);

        // Interrupted at step 20 (mid-epoch 1), then resumed by a fresh process-like setup.
        var first = Make();
        new Trainer(new TrainerOptions { Epochs = 3, MaxSteps = 20, CheckpointDir = dir.Path }).Fit(first.Model, first.Optimizer, first.Scheduler, first.Loader.Epoch, first.Loss, generators: first.Generators);
        var second = Make();
        var resumed = new Trainer(new TrainerOptions { Epochs = 3, ResumeFrom = Path.Combine(dir.Path, "last.safetensors") })
            .Fit(second.Model, second.Optimizer, second.Scheduler, second.Loader.Epoch, second.Loss, generators: second.Generators);

        Assert.Equal(straightResult.Steps, resumed.Steps);
        Assert.Equal(straightResult.Losses.Skip(20), resumed.Losses);
        foreach (var ((name, p), (_, q)) in straight.Model.NamedParameters().Zip(second.Model.NamedParameters()))
            Assert.True(p.ToArray().SequenceEqual(q.ToArray()), $"parameter {name} differs after resuming");
    }

    [Fact]
    public void ACrashMidSaveLeavesThePreviousCheckpointIntact()
    {
        using var dir = new TempDir();
        var s = Make();
        string path = Path.Combine(dir.Path, "ckpt.safetensors");
        Checkpoint.Save(path, s.Model, s.Optimizer, s.Scheduler, new TrainingProgress(5, 0, 5));
        byte[] before = File.ReadAllBytes(path);
        IEnumerable<KeyValuePair<string, Tensor>> Exploding()
        {
            yield return new("ok", Tensor.Ones(2));
            throw new IOException("disk full (simulated)");
        }
        foreach (var p in s.Model.Parameters()) using (SharpAttention.Autograd.GradMode.NoGrad()) p.Add_(Tensor.Ones(p.Shape.ToArray()));
        Assert.Throws<IOException>(() => Checkpoint.Save(path, s.Model, s.Optimizer, s.Scheduler, new TrainingProgress(6, 0, 6), extraTensors: Exploding()));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        var fresh = Make();
        var progress = Checkpoint.Load(path, fresh.Model, fresh.Optimizer, fresh.Scheduler);
        Assert.Equal(5, progress.Step);
    }

    [Fact]
    public void LoadingAMismatchedCheckpointChangesNothing()
    {
        using var dir = new TempDir();
        var s = Make();
        new Trainer(new TrainerOptions { Epochs = 1, MaxSteps = 3 }).Fit(s.Model, s.Optimizer, s.Scheduler, s.Loader.Epoch, s.Loss);
        string path = Path.Combine(dir.Path, "c.safetensors");
        Checkpoint.Save(path, s.Model, s.Optimizer, s.Scheduler, new TrainingProgress(3, 0, 3));
        var other = new TinyTransformer(Vocab + 1, T, 32, new Generator(1));   // a different vocabulary: shapes differ
        var otherOpt = new Adam(other.Parameters());
        var before = other.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var e = Assert.ThrowsAny<Exception>(() => Checkpoint.Load(path, other, otherOpt, null));
        Assert.Contains("size mismatch for tok", e.Message);
        foreach (var (k, v) in other.StateDict()) Assert.Equal(before[k], v.ToArray());
        Assert.DoesNotContain(otherOpt.StateDict().Keys, k => k.StartsWith("state."));
    }

    [Fact]
    public void EarlyStoppingBestCheckpointAndMetricsFile()
    {
        using var dir = new TempDir();
        var s = Make();
        var scores = new Queue<double>([0.5, 0.4, 0.45, 0.41, 0.3]);
        var events = new List<EvaluationEvent>();
        var steps = new List<StepEvent>();
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = 5, EarlyStoppingPatience = 2, CheckpointDir = dir.Path, MetricsFile = Path.Combine(dir.Path, "m.jsonl"), LogEvery = 4,
        });
        trainer.Evaluated += events.Add;
        trainer.StepCompleted += steps.Add;
        var result = trainer.Fit(s.Model, s.Optimizer, s.Scheduler, s.Loader.Epoch, s.Loss, () => new Dictionary<string, double> { ["loss"] = scores.Dequeue() });
        Assert.True(result.StoppedEarly);
        Assert.Equal([true, true, false, false], events.Select(e => e.IsBest));
        Assert.Equal(0.4, result.BestMetric);
        Assert.True(File.Exists(Path.Combine(dir.Path, "best.safetensors")));
        Assert.Equal(4 * 16 / 4, steps.Count);
        Assert.All(steps, e => Assert.True(e.TokensPerSecond > 0 && e.GradNorm > 0 && double.IsFinite(e.Loss)));
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "m.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(16 + 4, lines.Length);
        Assert.Equal("eval", lines[^1].GetProperty("kind").GetString());
        Assert.Equal(0.41, lines[^1].GetProperty("loss").GetDouble());
        Assert.Equal(steps[0].Loss, lines[0].GetProperty("loss").GetDouble());
    }

    [Fact]
    public void WithEmaEvaluationAndTheBestCheckpointUseTheAveragedWeights()
    {
        using var dir = new TempDir();
        var s = Make();
        const double decay = 0.8;
        // The reference: the recurrence over snapshots of the trained weights after every step, in double.
        double[]? reference = null;
        double[] Flat() => s.Model.Parameters().SelectMany(p => p.ToArray()).Select(v => (double)v).ToArray();
        var trainer = new Trainer(new TrainerOptions { Epochs = 2, EmaDecay = decay, CheckpointDir = dir.Path, BestMetric = "weight_sum" });
        trainer.StepCompleted += _ =>
        {
            var now = Flat();
            reference = reference == null ? now : reference.Zip(now, (a, x) => decay * a + (1 - decay) * x).ToArray();
        };
        var seen = new List<IReadOnlyDictionary<string, double>>();
        trainer.Evaluated += e => seen.Add(e.Metrics);
        double[]? evaluatedWeights = null;
        trainer.Fit(s.Model, s.Optimizer, s.Scheduler, s.Loader.Epoch, s.Loss, () =>
        {
            evaluatedWeights = Flat();
            return new Dictionary<string, double> { ["weight_sum"] = -evaluatedWeights.Sum() };
        }, s.Generators);

        // The last evaluation saw the reference average, logged the trained weights' score as raw_*, and the model
        // holds the trained weights again afterwards.
        for (int i = 0; i < reference!.Length; i++) Assert.Equal(reference[i], evaluatedWeights![i], 4);
        Assert.Equal(2, seen.Count);
        Assert.Equal(-Flat().Sum(), seen[^1]["raw_weight_sum"], 6);
        Assert.NotEqual(seen[^1]["weight_sum"], seen[^1]["raw_weight_sum"]);
        var best = Make();
        Checkpoint.Load(Path.Combine(dir.Path, "best.safetensors"), best.Model, null, null, best.Generators);
        var bestWeights = best.Model.Parameters().SelectMany(p => p.ToArray()).Select(v => (double)v).ToArray();
        var bestSum = seen.Min(m => m["weight_sum"]);   // lower is better by default
        Assert.Equal(bestSum, -bestWeights.Sum(), 6);
        // Its average section holds the same averaged weights (saved while they were swapped in), not the trained ones.
        var extras = Checkpoint.LoadExtraTensors(Path.Combine(dir.Path, "best.safetensors"));
        foreach (var (name, p) in best.Model.NamedParameters())
            Assert.True(extras["ema.module." + name].ToArray().SequenceEqual(p.ToArray()), $"best checkpoint: ema.module.{name} is not the average");
    }

    [Fact]
    public void ResumingWithEmaContinuesTheAverageBitExactly()
    {
        using var straightDir = new TempDir();
        using var resumedDir = new TempDir();
        var straight = Make();
        new Trainer(new TrainerOptions { Epochs = 2, EmaDecay = 0.9, CheckpointDir = straightDir.Path })
            .Fit(straight.Model, straight.Optimizer, straight.Scheduler, straight.Loader.Epoch, straight.Loss, generators: straight.Generators);
        var first = Make();
        new Trainer(new TrainerOptions { Epochs = 2, MaxSteps = 11, EmaDecay = 0.9, CheckpointDir = resumedDir.Path })
            .Fit(first.Model, first.Optimizer, first.Scheduler, first.Loader.Epoch, first.Loss, generators: first.Generators);
        string last = Path.Combine(resumedDir.Path, "last.safetensors");

        // A run without an average cannot resume into one that needs it, and nothing changes when it refuses.
        using (var plainDir = new TempDir())
        {
            var plain = Make();
            new Trainer(new TrainerOptions { Epochs = 1, MaxSteps = 3, CheckpointDir = plainDir.Path })
                .Fit(plain.Model, plain.Optimizer, plain.Scheduler, plain.Loader.Epoch, plain.Loss, generators: plain.Generators);
            var target = Make();
            var before = target.Model.Parameters().Select(p => p.ToArray()).ToArray();
            var e = Assert.Throws<InvalidDataException>(() => new Trainer(new TrainerOptions { Epochs = 2, EmaDecay = 0.9, ResumeFrom = Path.Combine(plainDir.Path, "last.safetensors") })
                .Fit(target.Model, target.Optimizer, target.Scheduler, target.Loader.Epoch, target.Loss, generators: target.Generators));
            Assert.Contains("no parameter average", e.Message);
            Assert.Equal(before, target.Model.Parameters().Select(p => p.ToArray()).ToArray());
        }

        var second = Make();
        new Trainer(new TrainerOptions { Epochs = 2, EmaDecay = 0.9, CheckpointDir = resumedDir.Path, ResumeFrom = last })
            .Fit(second.Model, second.Optimizer, second.Scheduler, second.Loader.Epoch, second.Loss, generators: second.Generators);
        var a = Checkpoint.LoadExtraTensors(Path.Combine(straightDir.Path, "last.safetensors"));
        var b = Checkpoint.LoadExtraTensors(last);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.Contains("ema.n_averaged", a.Keys);
        Assert.Equal(32L, a["ema.n_averaged"].ToInt64Array()[0]);
        foreach (var (k, v) in a) Assert.True(v.ToArray().SequenceEqual(b[k].ToArray()), $"{k} differs after resuming");
    }

    [Fact]
    public void AStepAfterWarmUpAllocatesLittleOnTheTrainingThread()
    {
        var s = Make(examples: 1024);
        var marks = new List<long>();
        var trainer = new Trainer(new TrainerOptions { Epochs = 1 });
        trainer.StepCompleted += _ => marks.Add(GC.GetAllocatedBytesForCurrentThread());
        trainer.Fit(s.Model, s.Optimizer, s.Scheduler, s.Loader.Epoch, s.Loss, generators: s.Generators);
        double perStep = (marks[^1] - marks[10]) / (double)(marks.Count - 11);
        // With the step scope this measured ~54 KB (graph nodes, shapes); without it ~300 KB, as activations and
        // gradients wait for finalizers instead of returning to the pool.
        Assert.True(perStep < 128 * 1024, $"{perStep / 1024:F0} KB allocated per step");
    }

    [Fact]
    public void BadSetupsAreNamed()
    {
        var s = Make();
        Assert.Contains("GradientAccumulation", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new TrainerOptions { GradientAccumulation = 0 })).Message);
        Assert.Contains("no checkpoint", Assert.Throws<FileNotFoundException>(() => new Trainer(new TrainerOptions { ResumeFrom = "/nonexistent/x.safetensors" })).Message);
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(new TrainerOptions()).Fit(s.Model, s.Optimizer, null, s.Loader.Epoch,
            b => new BatchLoss(s.Loss(b).Loss * double.NaN, 1)));
        Assert.Contains("loss is NaN at step 1", e.Message);
        var m = Assert.Throws<InvalidOperationException>(() => new Trainer(new TrainerOptions { MaxSteps = 1 }).Fit(s.Model, s.Optimizer, null, s.Loader.Epoch, s.Loss,
            () => new Dictionary<string, double> { ["acc"] = 1 }));
        Assert.Contains("no 'loss'", m.Message);
    }
}
