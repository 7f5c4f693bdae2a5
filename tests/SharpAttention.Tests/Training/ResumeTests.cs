using System.Text.Json;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Tests.IO;
using SharpAttention.Tests.Support;
using CsCheck;
using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

/// <summary>Resuming survives what a kill leaves behind: a torn or hostile last checkpoint (fall back to the previous
/// one, then the best), replayed and torn metrics rows (rewound to one row per step), stale temporary files.</summary>
public class ResumeTests
{
    const int Features = 4, Classes = 3, Examples = 32, Batch = 8;   // 4 steps per epoch

    /// <summary>A linear classifier with dropout on its input, so the generators' states matter to the result.</summary>
    sealed class Classifier : Module
    {
        public readonly Linear Head;
        readonly Dropout drop;

        public Classifier(Generator init, Generator dropout)
        {
            Head = RegisterModule("head", new Linear(Features, Classes, generator: init));
            drop = RegisterModule("drop", new Dropout(0.2, dropout));
        }

        public Tensor Forward(Tensor x) => Head.Forward(drop.Forward(x));   // (B, C) → (B, V)
    }

    sealed record Setup(Classifier Model, Optimizer Optimizer, LRScheduler Scheduler, Dictionary<string, Generator> Generators)
    {
        static readonly float[] X = [.. Enumerable.Range(0, Examples * Features).Select(i => (float)Math.Sin(i * 0.37))];
        static readonly long[] Y = [.. Enumerable.Range(0, Examples).Select(i => (long)(i % Classes))];
        static readonly BatchSampler Sampler = new(Examples, Batch, shuffle: true, seed: 9);

        public IEnumerable<int[]> Batches(int epoch) => Sampler.Batches(epoch);

        public BatchLoss Loss(int[] rows)
        {
            var x = Tensor.FromArray(rows.SelectMany(r => X.AsSpan(r * Features, Features).ToArray()).ToArray(), rows.Length, Features);
            var y = Tensor.FromArray(rows.Select(r => Y[r]).ToArray(), rows.Length);
            return new(F.CrossEntropy(Model.Forward(x), y), rows.Length);
        }

        public TrainingResult Fit(TrainerOptions options, Action<Trainer>? hook = null)
        {
            var trainer = new Trainer(options);
            hook?.Invoke(trainer);
            return trainer.Fit(Model, Optimizer, Scheduler, Batches, Loss, generators: Generators);
        }

        public float[][] Parameters() => [.. Model.Parameters().Select(p => p.ToArray())];
    }

    static Setup Make()
    {
        var dropout = new Generator(5);
        var model = new Classifier(new Generator(3), dropout);
        var optimizer = new AdamW(model.Parameters(), lr: 0.05);
        return new Setup(model, optimizer, new WarmupDecayLR(optimizer, 2, 12), new() { ["dropout"] = dropout });
    }

    static long[] StepRows(string metrics) =>
        [.. File.ReadAllLines(metrics).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(r => r.GetProperty("kind").GetString() == "step").Select(r => r.GetProperty("step").GetInt64())];

    [Fact]
    public void ATornLastCheckpointFallsBackToThePreviousOneAndTheMetricsAreRewound()
    {
        using var dir = new TempDir();
        var straight = Make();
        straight.Fit(new TrainerOptions { Epochs = 3 });

        var ckpt = Path.Combine(dir.Path, "ckpt");
        var metrics = Path.Combine(dir.Path, "metrics.jsonl");
        var options = new TrainerOptions { Epochs = 3, CheckpointDir = ckpt, CheckpointEvery = 2, MetricsFile = metrics };
        Make().Fit(options with { MaxSteps = 9 });   // last = step 9, previous = step 8
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), StepRows(metrics));
        var last = Path.Combine(ckpt, "last.safetensors");
        File.WriteAllBytes(last, File.ReadAllBytes(last)[..100]);   // torn
        File.AppendAllText(metrics, "{\"kind\":\"st");                // a row cut short by the kill

        var resumed = Make();
        var events = new List<ResumeEvent>();
        var warnings = new List<string>();
        resumed.Fit(options with { Resume = true }, t =>
        {
            t.Resumed += events.Add;
            t.Warning += warnings.Add;
        });

        var e = Assert.Single(events);
        Assert.Equal(Path.Combine(ckpt, "previous.safetensors"), e.Path);
        Assert.Equal(8, e.Step);
        Assert.StartsWith($"last.safetensors: safetensors file '{last}': ", Assert.Single(e.Refused));
        Assert.Contains(warnings, w => w.Contains($"{metrics}: line 10 is not a complete JSON object"));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), StepRows(metrics));   // step 9 once, no torn line
        Assert.Equal(straight.Parameters(), resumed.Parameters());
    }

    [Fact]
    public void WhenNoCheckpointLoadsTheErrorNamesEachAndNothingChanges()
    {
        using var dir = new TempDir();
        var source = Make();
        using (SharpAttention.Autograd.GradMode.NoGrad()) source.Model.Head.Bias!.Fill_(double.NaN);
        Checkpoint.Save(Path.Combine(dir.Path, "best.safetensors"), source.Model, source.Optimizer, source.Scheduler,
                        new TrainingProgress(4, 1, 0), source.Generators);
        File.WriteAllBytes(Path.Combine(dir.Path, "last.safetensors"), []);
        File.WriteAllBytes(Path.Combine(dir.Path, "previous.safetensors"), [2, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']']);

        var target = Make();
        var before = target.Parameters();
        var e = Assert.Throws<InvalidDataException>(() => target.Fit(new TrainerOptions { Epochs = 1, CheckpointDir = dir.Path, Resume = true }));
        Assert.Contains($"no checkpoint in '{dir.Path}' can be resumed from", e.Message);
        Assert.Contains("last.safetensors: safetensors file", e.Message);
        Assert.Contains("shorter than the 8-byte header length", e.Message);
        Assert.Contains("previous.safetensors: safetensors file", e.Message);
        Assert.Contains("the header must be a JSON object, not an array", e.Message);
        Assert.Contains("best.safetensors: safetensors file", e.Message);
        Assert.Contains("tensor 'model.head.bias': element 0 of 3 is NaN", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(before, target.Parameters());
    }

    [Fact]
    public void TheReplacedLastCheckpointIsKeptAsPrevious()
    {
        using var dir = new TempDir();
        Make().Fit(new TrainerOptions { Epochs = 2, CheckpointDir = dir.Path, CheckpointEvery = 3 });   // saves at 3, 4 (epoch end), 6, 8
        var s = Make();
        long progress(string name) => Checkpoint.Load(Path.Combine(dir.Path, name), s.Model, null, null, s.Generators).Step;
        Assert.Equal(8, progress("last.safetensors"));
        Assert.Equal(6, progress("previous.safetensors"));
    }

    [Fact]
    public void StaleTemporaryFilesAreRemovedWhenARunStartsAndSaid()
    {
        using var dir = new TempDir();
        var ckpt = Path.Combine(dir.Path, "ckpt");
        Directory.CreateDirectory(ckpt);
        var staleCheckpoint = Path.Combine(ckpt, "last.safetensors.0a1b2c3d.tmp");
        var staleMetrics = Path.Combine(dir.Path, "m.jsonl.0a1b2c3d.tmp");
        var keep = Path.Combine(dir.Path, "notes.txt");
        foreach (var f in new[] { staleCheckpoint, staleMetrics, keep }) File.WriteAllText(f, "x");
        var warnings = new List<string>();
        Make().Fit(new TrainerOptions { Epochs = 1, CheckpointDir = ckpt, MetricsFile = Path.Combine(dir.Path, "m.jsonl") }, t => t.Warning += warnings.Add);
        Assert.False(File.Exists(staleCheckpoint));
        Assert.False(File.Exists(staleMetrics));
        Assert.True(File.Exists(keep));
        Assert.Contains($"removed {staleCheckpoint}, left by a save that never finished", warnings);
        Assert.Contains($"removed {staleMetrics}, left by a save that never finished", warnings);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>Mutated checkpoints (see <see cref="SafeTensorsPropertyTests"/>: flipped bytes, truncations, edited numbers,
    /// dtypes and metadata values such as the step) are refused only with the typed errors resuming falls back on.</summary>
    [Fact]
    public void AMutatedCheckpointIsRefusedOnlyWithTypedErrors()
    {
        using var dir = new TempDir();
        Make().Fit(new TrainerOptions { Epochs = 1, CheckpointDir = dir.Path });
        var valid = File.ReadAllBytes(Path.Combine(dir.Path, "last.safetensors"));
        SafeTensorsPropertyTests.Mutation.Array[1, 3].Sample(mutations =>
        {
            var path = Path.Combine(dir.Path, Guid.NewGuid().ToString("N") + ".safetensors");
            File.WriteAllBytes(path, mutations.Aggregate(valid, (file, mutate) => mutate(file)));
            var target = Make();
            try
            {
                Checkpoint.Load(path, target.Model, target.Optimizer, target.Scheduler, target.Generators);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or StateDictException)
            {
            }
            File.Delete(path);
        }, iter: 500);
    }

    [Fact]
    public void ResumeNeedsACheckpointFolderAndExcludesResumeFrom()
    {
        Assert.Contains("Resume needs a CheckpointDir", Assert.Throws<ArgumentException>(() => new Trainer(new TrainerOptions { Resume = true })).Message);
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "c.safetensors");
        File.WriteAllBytes(file, []);
        Assert.Throws<ArgumentException>(() => new Trainer(new TrainerOptions { Resume = true, CheckpointDir = dir.Path, ResumeFrom = file }));
    }

    [Fact]
    public void ResumingACsvMetricsFileKeepsItsHeaderAndRowsUpToTheStep()
    {
        using var dir = new TempDir();
        var metrics = Path.Combine(dir.Path, "m.csv");
        var options = new TrainerOptions { Epochs = 2, CheckpointDir = dir.Path, MetricsFile = metrics };
        Make().Fit(options with { MaxSteps = 4 });
        var replayed = File.ReadAllLines(metrics)[^1].Split(',');
        replayed[1] = "5";   // a row the run logged after its checkpoint, before a kill: the resumed run writes it again
        File.AppendAllText(metrics, string.Join(",", replayed) + "\n");
        Make().Fit(options with { Resume = true });
        var lines = File.ReadAllLines(metrics);
        Assert.StartsWith("kind,step,", lines[0]);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i.ToString()), lines.Skip(1).Select(l => l.Split(',')[1]));
    }
}
