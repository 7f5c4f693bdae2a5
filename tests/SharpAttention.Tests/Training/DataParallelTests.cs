using SharpAttention.Data;
using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

/// <summary>The oracle is sequential gradient accumulation on one model: data parallelism must reproduce it bit for bit
/// (same micro-batches, gradients added in the same order), since without dropout nothing else differs.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class DataParallelTests
{
    const int Vocab = 8, T = 6, D = 32;

    /// <summary>Embeddings, one pre-LN self-attention block, a feed-forward block and a per-position head; dropout
    /// (from <paramref name="dropoutFrom"/>, else the default generator) only when asked.</summary>
    sealed class Net : Module
    {
        readonly Tensor tok, pos;                      // (V, D), (T, D)
        readonly MultiheadAttention attn;
        readonly LayerNorm norm1, norm2;
        readonly Linear ff1, ff2, head;
        readonly Dropout drop;

        public Net(Generator g, int ff = 2 * D, double dropout = 0, Generator? dropoutFrom = null)
        {
            drop = RegisterModule("drop", new Dropout(dropout, dropoutFrom));
            tok = RegisterParameter("tok", Tensor.Randn([Vocab, D], g).RequiresGrad_())!;
            pos = RegisterParameter("pos", Tensor.Randn([T, D], g).RequiresGrad_())!;
            attn = RegisterModule("attn", new MultiheadAttention(D, 2, batchFirst: true, generator: g));
            norm1 = RegisterModule("norm1", new LayerNorm(D));
            norm2 = RegisterModule("norm2", new LayerNorm(D));
            ff1 = RegisterModule("ff1", new Linear(D, ff, generator: g));
            ff2 = RegisterModule("ff2", new Linear(ff, D, generator: g));
            head = RegisterModule("head", new Linear(D, Vocab, generator: g));
        }

        public Tensor Forward(Tensor ids)              // (B, T) int64 → (B, T, V)
        {
            var h = F.Embedding(ids, tok) + pos;
            var n = norm1.Forward(h);
            var (a, _) = attn.Forward(n, n, n, needWeights: false);
            h = h + drop.Forward(a);
            h = h + drop.Forward(ff2.Forward(ff1.Forward(norm2.Forward(h)).Relu()));
            return head.Forward(h);
        }
    }

    static (Tensor X, Tensor Y) Collate(IReadOnlyList<long[]> items) =>
        (Tensor.FromArray(items.SelectMany(x => x).ToArray(), items.Count, T),
         Tensor.FromArray(items.SelectMany(x => x.Reverse()).ToArray(), items.Count, T));

    static BatchLoss Loss(Module model, (Tensor X, Tensor Y) b) =>
        new(F.CrossEntropy(((Net)model).Forward(b.X).Reshape(-1, Vocab), b.Y.Reshape(-1)), b.Y.NumEl);

    sealed record Run(Net Model, double[] Losses, long Steps);

    /// <summary>Trains 2 epochs of 11 micro-batches (the last one short) with AdamW, a schedule and clipping.</summary>
    static Run Train(int accumulation, int replicas, int threads = 2, string? checkpoints = null, long? maxSteps = null, string? resume = null,
                     double dropout = 0)
    {
        var g = new Generator(5);
        var data = Enumerable.Range(0, 170).Select(_ => Enumerable.Range(0, T).Select(_ => g.NextInt64(Vocab)).ToArray()).ToArray();
        var loader = new DataLoader<long[], (Tensor X, Tensor Y)>(data, new BatchSampler(data.Length, 16, shuffle: true, seed: 3), Collate);
        var model = new Net(new Generator(11), dropout: dropout);
        var optimizer = new AdamW(model.Parameters(), lr: 3e-3, weightDecay: 0.01);
        var scheduler = new WarmupDecayLR(optimizer, 3, 12);
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = 2, GradientAccumulation = accumulation, ClipGradNorm = 0.5, CheckpointDir = checkpoints, MaxSteps = maxSteps, ResumeFrom = resume,
        });
        return KernelPaths.WithThreads(threads, () =>
        {
            TrainingResult result;
            if (replicas == 1)
                result = trainer.Fit(model, optimizer, scheduler, loader.Epoch, b => Loss(model, b));
            else
            {
                using var parallel = new DataParallel(model, g => new Net(new Generator(99), dropout: dropout, dropoutFrom: g), replicas);
                result = trainer.Fit(parallel, optimizer, scheduler, loader.Epoch, Loss);
            }
            return new Run(model, [.. result.Losses], result.Steps);
        });
    }

    static void AssertSameWeights(Net expected, Net actual)
    {
        foreach (var ((name, p), (_, q)) in expected.NamedParameters().Zip(actual.NamedParameters()))
            Assert.True(p.ToArray().SequenceEqual(q.ToArray()), $"parameter {name} differs");
    }

    [Theory]
    [InlineData(2, 2)]      // one round of two replicas per step
    [InlineData(4, 2)]      // two rounds per step; the epoch's last step has 3 micro-batches (a round of 2, then 1)
    [InlineData(3, 3)]      // three replicas on two threads' worth of cores still run at once
    public void MatchesSequentialAccumulationBitForBit(int accumulation, int replicas)
    {
        var sequential = Train(accumulation, replicas: 1, threads: 1);
        var parallel = Train(accumulation, replicas);
        Assert.Equal((11 + accumulation - 1) / accumulation * 2, sequential.Steps);
        Assert.Equal(sequential.Steps, parallel.Steps);
        Assert.Equal(sequential.Losses, parallel.Losses);
        AssertSameWeights(sequential.Model, parallel.Model);
        Assert.True(parallel.Losses[^1] < parallel.Losses[0], $"loss {parallel.Losses[0]:F3} → {parallel.Losses[^1]:F3}");
    }

    [Fact]
    public void ResumingADataParallelRunIsBitExact()
    {
        using var dir = new TempDir();
        var straight = Train(2, 2);
        Train(2, 2, checkpoints: dir.Path, maxSteps: 7);
        var resumed = Train(2, 2, resume: Path.Combine(dir.Path, "last.safetensors"));
        Assert.Equal(straight.Losses.Skip(7), resumed.Losses);
        AssertSameWeights(straight.Model, resumed.Model);
    }

    /// <summary>With dropout the replicas draw from generators reseeded from the default one each round: two runs
    /// agree, and a resumed run continues bit for bit.</summary>
    [Fact]
    public void WithDropoutRunsRepeatAndResumeBitExactly()
    {
        using var dir = new TempDir();
        var straight = Train(2, 2, dropout: 0.2);
        Assert.Equal(straight.Losses, Train(2, 2, dropout: 0.2).Losses);
        Assert.NotEqual(straight.Losses, Train(2, 2).Losses);
        Train(2, 2, checkpoints: dir.Path, maxSteps: 5, dropout: 0.2);
        var resumed = Train(2, 2, resume: Path.Combine(dir.Path, "last.safetensors"), dropout: 0.2);
        Assert.Equal(straight.Losses.Skip(5), resumed.Losses);
        AssertSameWeights(straight.Model, resumed.Model);
    }

    /// <summary>Built under no-grad (the workers must not keep the grad mode of the thread that made them).</summary>
    [Fact]
    public void ADataParallelBuiltUnderNoGradStillTrains()
    {
        var model = new Net(new Generator(1));
        DataParallel parallel;
        using (SharpAttention.Autograd.GradMode.NoGrad()) parallel = new DataParallel(model, _ => new Net(new Generator(2)), 2);
        using (parallel)
        {
            var data = Enumerable.Range(0, 64).Select(i => Enumerable.Range(0, T).Select(j => (long)((i + j) % Vocab)).ToArray()).ToArray();
            var loader = new DataLoader<long[], (Tensor X, Tensor Y)>(data, new BatchSampler(data.Length, 16, shuffle: false), Collate);
            var result = new Trainer(new TrainerOptions { Epochs = 1, GradientAccumulation = 2 })
                .Fit(parallel, new AdamW(model.Parameters(), lr: 1e-3), null, loader.Epoch, Loss);
            Assert.Equal(2, result.Steps);
        }
    }

    [Fact]
    public void BadSetupsAreRefusedByName()
    {
        var model = new Net(new Generator(1));
        var e = Assert.Throws<ArgumentException>(() => new DataParallel(model, _ => new Net(new Generator(2), ff: 3 * D), 2));
        Assert.Contains("parameter 'ff1.weight' has shape (96,32) in the replica, (64,32) in the model", e.Message);
        Assert.Throws<ArgumentException>(() => new DataParallel(model, _ => model, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataParallel(model, _ => new Net(new Generator(2)), 0));
        var shared = new Shared(Tensor.Zeros(3).RequiresGrad_());
        Assert.Contains("replica 1's 'w' shares memory with the model",
            Assert.Throws<ArgumentException>(() => new DataParallel(shared, _ => new Shared(shared.W), 2)).Message);
        using var parallel = new DataParallel(model, _ => new Net(new Generator(2)), 2);
        var tooFew = Assert.Throws<ArgumentException>(() => new Trainer(new TrainerOptions()).Fit(parallel, new AdamW(model.Parameters()), null,
            _ => Array.Empty<(Tensor, Tensor)>(), Loss));
        Assert.Contains("2 replicas need GradientAccumulation ≥ 2", tooFew.Message);
    }

    sealed class Shared : Module
    {
        public Tensor W { get; }

        public Shared(Tensor w) => W = RegisterParameter("w", w)!;
    }

    [Fact]
    public void AFailingReplicaSurfacesItsErrorAndTheNextRunStillWorks()
    {
        var model = new Net(new Generator(1));
        using var parallel = new DataParallel(model, _ => new Net(new Generator(2)), 2);
        var optimizer = new AdamW(model.Parameters(), lr: 1e-3);
        var g = new Generator(4);
        var data = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, T).Select(_ => g.NextInt64(Vocab)).ToArray()).ToArray();
        var loader = new DataLoader<long[], (Tensor X, Tensor Y)>(data, new BatchSampler(data.Length, 16, shuffle: false), Collate);
        var trainer = new Trainer(new TrainerOptions { Epochs = 1, GradientAccumulation = 2 });
        // The second replica's loss is NaN on the first step: the trainer's message, from the worker thread.
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(parallel, optimizer, null, loader.Epoch,
            (replica, b) => ReferenceEquals(replica, model) ? Loss(replica, b) : new BatchLoss(Loss(replica, b).Loss * double.NaN, 1)));
        Assert.Contains("the loss is NaN at step 1", e.Message);
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
        var result = trainer.Fit(parallel, optimizer, null, loader.Epoch, Loss);
        Assert.Equal(2, result.Steps);
    }
}
