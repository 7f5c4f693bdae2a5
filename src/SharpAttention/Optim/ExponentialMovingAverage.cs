using System.Numerics;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>
/// An exponential moving average of a module's parameters (Polyak averaging), as PyTorch's
/// <c>AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))</c>: the first <see cref="Update"/> copies the
/// parameters, every later one moves each average towards its parameter, avg ← avg + (1 − decay)·(p − avg) (torch's
/// <c>_foreach_lerp_</c>). Instead of a second module it keeps one buffer per parameter and <see cref="Swap"/>s them
/// with the live weights, so evaluation code runs unchanged on the averaged model. The state dict uses
/// AveragedModel's key names (<c>module.{name}</c>, <c>n_averaged</c>) for the parameters only (torch's also lists
/// persistent buffers and every alias of a tied weight).
/// </summary>
public sealed class ExponentialMovingAverage
{
    readonly (string Name, Tensor Parameter)[] parameters;
    readonly Tensor[] averages;
    bool swapped;   // true while the module holds the averages and `averages` the trained weights

    /// <param name="model">The module whose parameters are averaged (its parameters at this moment fix the set).</param>
    /// <param name="decay">Weight kept by the average at each update, in [0, 1); 0.999 averages over ~1,000 steps.</param>
    public ExponentialMovingAverage(Module model, double decay = 0.999)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(decay is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(decay), $"ema: decay must lie in [0, 1), got {decay}");
        Decay = decay;
        parameters = [.. model.NamedParameters()];
        foreach (var (name, p) in parameters)
            if (p.DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"ema: parameter '{name}' is {p.DType.TorchName()}; only float32 and float64 parameters can be averaged", nameof(model));
        averages = [.. parameters.Select(p => Tensor.Zeros(p.Parameter.ShapeArray, p.Parameter.DType).DetachFromScope())];
    }

    public double Decay { get; }

    /// <summary>Updates so far (torch's <c>n_averaged</c>); 0 means the averages hold nothing yet.</summary>
    public long NumAveraged { get; private set; }

    /// <summary>Folds the current parameters into the averages (call after each optimizer step).</summary>
    public void Update()
    {
        RequireUnswapped(nameof(Update));
        double keepNew = NumAveraged == 0 ? 1 : 1 - Decay;
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i].Parameter;
            if (p.DType == DType.Float32) Lerp(averages[i].Span<float>(), p.Span<float>(), (float)keepNew);
            else Lerp(averages[i].Span<double>(), p.Span<double>(), keepNew);
        }
        NumAveraged++;
    }

    static void Lerp<T>(Span<T> average, ReadOnlySpan<T> parameter, T amount) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (amount == T.One) parameter.CopyTo(average);
        else System.Numerics.Tensors.TensorPrimitives.Lerp(average, parameter, amount, average);
    }

    /// <summary>Exchanges the live parameters and the averages: after one call the module computes with the averaged
    /// weights, a second call puts the trained weights back. Throws if nothing has been averaged yet.</summary>
    public void Swap()
    {
        if (NumAveraged == 0) throw new InvalidOperationException("ema: Update() has not been called yet, there is no average to swap in");
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i].Parameter;
            if (p.DType == DType.Float32) Exchange(p.Span<float>(), averages[i].Span<float>());
            else Exchange(p.Span<double>(), averages[i].Span<double>());
        }
        swapped = !swapped;
    }

    /// <summary>True between a <see cref="Swap"/> and the next one: the module computes with the averaged weights.</summary>
    public bool IsSwapped => swapped;

    void RequireUnswapped(string what)
    {
        if (swapped) throw new InvalidOperationException($"ema: {what} while the averaged weights are swapped in; Swap() back first");
    }

    static void Exchange<T>(Span<T> a, Span<T> b) where T : unmanaged
    {
        Span<T> chunk = stackalloc T[256];
        for (int start = 0; start < a.Length; start += chunk.Length)
        {
            int n = Math.Min(chunk.Length, a.Length - start);
            a.Slice(start, n).CopyTo(chunk);
            b.Slice(start, n).CopyTo(a.Slice(start, n));
            chunk[..n].CopyTo(b.Slice(start, n));
        }
    }

    /// <summary>Runs <paramref name="action"/> with the averaged weights in the module, then puts the trained ones back
    /// (also when it throws).</summary>
    public T WithAveragedParameters<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Swap();
        try
        {
            return action();
        }
        finally
        {
            Swap();
        }
    }

    /// <summary>Writes the averages into the module's parameters for good (e.g. before saving the final model).</summary>
    public void CopyTo()
    {
        RequireUnswapped(nameof(CopyTo));
        if (NumAveraged == 0) throw new InvalidOperationException("ema: Update() has not been called yet, there is nothing to copy");
        for (int i = 0; i < parameters.Length; i++) parameters[i].Parameter.Detach().CopyFrom_(averages[i]);
    }

    /// <summary>The averages under AveragedModel's keys (<c>module.{name}</c>) and <c>n_averaged</c> (while swapped, the
    /// averages are the module's live parameters, and those are returned).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateDict()
    {
        for (int i = 0; i < parameters.Length; i++)
            yield return new("module." + parameters[i].Name, swapped ? parameters[i].Parameter.Detach() : averages[i]);
        yield return new("n_averaged", Tensor.FromArray(new[] { NumAveraged }, 1));
    }

    /// <summary>Restores <see cref="StateDict"/>. Checks every key and shape before changing anything.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        RequireUnswapped(nameof(LoadStateDict));
        var problems = CheckState(state);
        if (problems.Count > 0) throw new ArgumentException("ema: the state does not fit: " + string.Join("; ", problems));
        for (int i = 0; i < parameters.Length; i++) averages[i].CopyFrom_(state["module." + parameters[i].Name]);
        NumAveraged = state["n_averaged"].ToInt64Array()[0];
    }

    /// <summary>What <see cref="LoadStateDict"/> would reject in <paramref name="state"/> (empty when it fits).</summary>
    public List<string> CheckState(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var problems = new List<string>();
        var expected = new HashSet<string>(parameters.Select(p => "module." + p.Name)) { "n_averaged" };
        foreach (var key in state.Keys.Where(k => !expected.Contains(k))) problems.Add($"unexpected key '{key}'");
        foreach (var (name, p) in parameters)
        {
            if (!state.TryGetValue("module." + name, out var t)) problems.Add($"missing key 'module.{name}'");
            else if (!t.ShapeArray.SequenceEqual(p.ShapeArray) || t.DType != p.DType)
                problems.Add($"'module.{name}' is {t.DType.TorchName()} {ShapeUtil.Format(t.ShapeArray)}, expected {p.DType.TorchName()} {ShapeUtil.Format(p.ShapeArray)}");
        }
        if (!state.TryGetValue("n_averaged", out var n)) problems.Add("missing key 'n_averaged'");
        else if (n.DType != DType.Int64 || n.NumEl != 1 || n.ToInt64Array()[0] < 0) problems.Add("'n_averaged' must be one non-negative int64");
        return problems;
    }
}
