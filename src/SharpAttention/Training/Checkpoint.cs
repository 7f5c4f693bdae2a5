using System.Globalization;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;

namespace SharpAttention.Training;

/// <summary>Where training stood when a checkpoint was written: optimizer steps taken, the epoch, and how many
/// batches of that epoch were consumed (so resuming skips exactly those), plus free-form string metadata.</summary>
public sealed record TrainingProgress(long Step, int Epoch, int BatchInEpoch)
{
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A resumable training checkpoint in one safetensors file: the model's state dict under <c>model.</c>, the
/// optimizer's under <c>optimizer.</c>, random-generator states under <c>rng.</c>, the schedule's step and the
/// <see cref="TrainingProgress"/> in the metadata. The model keys after the prefix are PyTorch's, so
/// <c>{k[6:]: v for k, v in load_file(path).items() if k.startswith("model.")}</c> loads it into torch.
/// Saving writes a temporary file and renames it over the target, so a crash mid-save leaves the previous
/// checkpoint intact. Loading checks everything before changing anything.
/// </summary>
public static class Checkpoint
{
    const string Format = "sharpattention.checkpoint/1";

    /// <summary>Writes a checkpoint. <paramref name="generators"/> names every generator whose state the run depends
    /// on (dropout, data order); <see cref="Generator.Default"/> is always included as "default". With
    /// <paramref name="previousPath"/>, the checkpoint being replaced is moved there once the new one is on disk.</summary>
    public static void Save(string path, Module model, Optimizer? optimizer, LRScheduler? scheduler, TrainingProgress progress,
                            IReadOnlyDictionary<string, Generator>? generators = null,
                            IEnumerable<KeyValuePair<string, Tensor>>? extraTensors = null, string? previousPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(progress);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["step"] = progress.Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = progress.Epoch.ToString(CultureInfo.InvariantCulture),
            ["batch_in_epoch"] = progress.BatchInEpoch.ToString(CultureInfo.InvariantCulture),
        };
        if (scheduler != null) metadata["scheduler_last_step"] = scheduler.LastStep.ToString(CultureInfo.InvariantCulture);
        foreach (var (k, v) in progress.Metadata) metadata["user." + k] = v;
        SafeTensorsTensor.Save(path, Entries(model, optimizer, generators, extraTensors), metadata, previousPath);
    }

    static IEnumerable<KeyValuePair<string, Tensor>> Entries(Module model, Optimizer? optimizer,
                                                             IReadOnlyDictionary<string, Generator>? generators,
                                                             IEnumerable<KeyValuePair<string, Tensor>>? extra)
    {
        foreach (var (k, v) in model.StateDict()) yield return new("model." + k, v);
        if (optimizer != null)
            foreach (var (k, v) in optimizer.StateDict()) yield return new("optimizer." + k, v);
        foreach (var (name, g) in AllGenerators(generators)) yield return new("rng." + name, GeneratorTensor(g));
        if (extra != null)
            foreach (var (k, v) in extra) yield return new("extra." + k, v);
    }

    /// <summary>
    /// Restores a checkpoint into <paramref name="model"/> (strictly: every key must match), the optimizer, the
    /// schedule and the generators, and returns the progress it recorded. Any problem — a missing file, a malformed
    /// file (<see cref="SafeTensorsFormatException"/>), another format, a NaN or infinity, mismatched keys or shapes,
    /// a missing generator (<see cref="InvalidDataException"/>) — throws before the model, optimizer, schedule or
    /// generators change.
    /// </summary>
    public static TrainingProgress Load(string path, Module model, Optimizer? optimizer, LRScheduler? scheduler,
                                        IReadOnlyDictionary<string, Generator>? generators = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint: no file at '{path}'", path);
        var file = SafeTensors.Read(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"checkpoint '{path}': not a SharpAttention checkpoint (format '{format ?? "none"}', expected '{Format}')");
        var targets = model.StateDict();
        foreach (var entry in file.Entries)
        {
            WeightChecks.ThrowIfNotFinite(entry);
            if (entry.Name.StartsWith("model.", StringComparison.Ordinal) && targets.TryGetValue(entry.Name[6..], out var target))
                WeightChecks.ThrowIfKindDiffers(entry, target);
        }
        var tensors = file.ToTensors();
        Dictionary<string, Tensor> Section(string prefix) => tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                                                                    .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        var progress = new TrainingProgress(Long(file, path, "step"), (int)Long(file, path, "epoch", int.MaxValue),
                                            (int)Long(file, path, "batch_in_epoch", int.MaxValue))
        {
            Metadata = file.Metadata.Where(kv => kv.Key.StartsWith("user.", StringComparison.Ordinal))
                                    .ToDictionary(kv => kv.Key[5..], kv => kv.Value, StringComparer.Ordinal),
        };
        long? schedulerStep = scheduler == null ? null : Long(file, path, "scheduler_last_step");

        var rng = Section("rng.");
        var states = new List<(Generator Target, ulong[] State)>();
        foreach (var (name, g) in AllGenerators(generators))
        {
            if (!rng.TryGetValue(name, out var t))
                throw new InvalidDataException($"checkpoint '{path}': no state for random generator '{name}'");
            if (t.DType != DType.Int64 || t.NumEl != g.GetState().Length)
                throw new InvalidDataException($"checkpoint '{path}': generator '{name}' state has {t.NumEl} {t.DType} values, expected {g.GetState().Length} int64");
            states.Add((g, Array.ConvertAll(t.ToInt64Array(), v => unchecked((ulong)v))));
        }

        // Try both parts, and if either does not fit put back whichever did: nothing changes unless everything fits.
        var modelBefore = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal);
        var optimizerBefore = optimizer?.StateDict();
        var problems = new List<string>();
        bool modelLoaded = false, optimizerLoaded = false;
        try
        {
            model.LoadStateDict(Section("model."), strict: true);
            modelLoaded = true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            problems.Add("model: " + e.Message);
        }
        if (optimizer != null)
        {
            try
            {
                optimizer.LoadStateDict(Section("optimizer."));
                optimizerLoaded = true;
            }
            catch (ArgumentException e)
            {
                problems.Add("optimizer: " + e.Message);
            }
        }
        if (problems.Count > 0)
        {
            if (modelLoaded) model.LoadStateDict(modelBefore, strict: true);
            if (optimizerLoaded) optimizer!.LoadStateDict(optimizerBefore!);
            throw new InvalidDataException($"checkpoint '{path}' does not fit the model and optimizer given; nothing was loaded:\n" + string.Join("\n", problems));
        }
        if (schedulerStep is { } s) scheduler!.LoadState(s);
        foreach (var (g, state) in states) g.SetState(state);
        return progress;
    }

    /// <summary>The tensors a checkpoint was saved with as <c>extraTensors</c> whose names start with
    /// <paramref name="prefix"/>, under their names after it.</summary>
    public static Dictionary<string, Tensor> LoadExtraTensors(string path, string prefix = "")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint: no file at '{path}'", path);
        string full = "extra." + prefix;
        return SafeTensors.Read(path).ToTensors().Where(kv => kv.Key.StartsWith(full, StringComparison.Ordinal))
                          .ToDictionary(kv => kv.Key[full.Length..], kv => kv.Value, StringComparer.Ordinal);
    }

    static IEnumerable<(string Name, Generator Generator)> AllGenerators(IReadOnlyDictionary<string, Generator>? generators)
    {
        yield return ("default", Generator.Default);
        if (generators == null) yield break;
        foreach (var (name, g) in generators.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (name == "default") throw new ArgumentException("checkpoint: the generator name 'default' is reserved for Generator.Default");
            yield return (name, g);
        }
    }

    static Tensor GeneratorTensor(Generator g)
    {
        var state = g.GetState();
        return Tensor.FromArray(Array.ConvertAll(state, v => unchecked((long)v)), state.Length);
    }

    static long Long(SafeTensorsFile file, string path, string key, long max = long.MaxValue)
    {
        if (!file.Metadata.TryGetValue(key, out var text) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v > max)
            throw new InvalidDataException($"checkpoint '{path}': metadata '{key}' is missing or not an integer in 0..{max}");
        return v;
    }
}
