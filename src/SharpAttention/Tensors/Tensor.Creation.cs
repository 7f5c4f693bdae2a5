namespace SharpAttention.Tensors;

// Factory functions (torch.zeros, torch.tensor, torch.randn, ...). Arrays passed in are copied.
public sealed partial class Tensor
{
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    public static Tensor Zeros(int[] shape, DType dtype, bool requiresGrad = false) =>
        Empty(Required(shape), dtype, clear: true, "zeros").RequiresGrad_(requiresGrad);

    public static Tensor Ones(params int[] shape) => Filled(shape, 1.0, DType.Float32, "ones");

    public static Tensor Ones(int[] shape, DType dtype, bool requiresGrad = false) =>
        Filled(shape, 1.0, dtype, "ones").RequiresGrad_(requiresGrad);

    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Filled(shape, value, dtype, "full").RequiresGrad_(requiresGrad);

    static Tensor Filled(int[] shape, double value, DType dtype, string op)
    {
        var t = Empty(Required(shape), dtype, op: op);
        t.FillRaw(value);
        return t;
    }

    /// <summary>A null shape array would otherwise read as () and silently make a 0-d tensor.</summary>
    static int[] Required(int[] shape, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(shape))] string? name = null) =>
        shape ?? throw new ArgumentNullException(name);

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full([], value, dtype);

    public static Tensor ZerosLike(Tensor t) => Empty(t.Shape, t.DType, clear: true);

    public static Tensor OnesLike(Tensor t) => FullLike(t, 1.0);

    public static Tensor FullLike(Tensor t, double value)
    {
        var r = Empty(t.Shape, t.DType);
        r.FillRaw(value);
        return r;
    }

    /// <summary>Values start, start+step, ... below end (torch.arange).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (!double.IsFinite(start) || !double.IsFinite(end) || !double.IsFinite(step))
            throw new ArgumentException($"arange: unsupported range: {start} -> {end} with step {step}");
        if (step == 0) throw new ArgumentException("arange: step must be nonzero");
        if (step > 0 ? end < start : end > start)
            throw new ArgumentException($"arange: upper bound {end} and lower bound {start} inconsistent with step sign {step}");
        double count = Math.Ceiling((end - start) / step);
        if (count > Array.MaxLength)
            throw new ArgumentException($"arange: {start} -> {end} with step {step} has {count} elements, more than the {Array.MaxLength} a tensor can hold");
        int n = (int)count;
        var t = Empty([n], dtype, op: "arange");
        for (int i = 0; i < n; i++) t.SetFlat(i, start + i * step);
        return t;
    }

    public static Tensor Arange(int end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    public static Tensor FromArray(float[] data, params int[] shape) => FromArrayCore(data, DType.Float32, shape);

    public static Tensor FromArray(double[] data, params int[] shape) => FromArrayCore(data, DType.Float64, shape);

    public static Tensor FromArray(long[] data, params int[] shape) => FromArrayCore(data, DType.Int64, shape);

    /// <summary>Integer data becomes an Int64 tensor (token ids, indices, class targets), as torch.tensor does.</summary>
    public static Tensor FromArray(int[] data, params int[] shape) =>
        FromArrayCore(Array.ConvertAll(data, v => (long)v), DType.Int64, shape);

    public static Tensor FromArray(bool[] data, params int[] shape) => FromArrayCore(data, DType.Bool, shape);

    /// <summary>A 2-D tensor from a rectangular array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new float[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(float));
        return FromArray(flat, data.GetLength(0), data.GetLength(1));
    }

    static Tensor FromArrayCore<T>(T[] data, DType dtype, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Required(shape).Length == 0) shape = [data.Length];
        if (ShapeUtil.CheckedNumEl(shape, "from_array") != data.Length)
            throw new ArgumentException($"from_array: {data.Length} values cannot fill shape {ShapeUtil.Format(shape)}");
        var t = Empty(shape, dtype, op: "from_array");
        data.AsSpan().CopyTo(t.Span<T>());
        return t;
    }

    /// <summary>Standard normal samples (torch.randn).</summary>
    public static Tensor Randn(params int[] shape) => Normal(shape, 0, 1);

    public static Tensor Randn(int[] shape, Generator? generator, DType dtype = DType.Float32) => Normal(shape, 0, 1, generator, dtype);

    /// <summary>Uniform samples in [0, 1) (torch.rand).</summary>
    public static Tensor Rand(params int[] shape) => Uniform(shape, 0, 1);

    public static Tensor Rand(int[] shape, Generator? generator, DType dtype = DType.Float32) => Uniform(shape, 0, 1, generator, dtype);

    public static Tensor Normal(int[] shape, double mean, double std, Generator? generator = null, DType dtype = DType.Float32)
    {
        RequireFloatDType(dtype, "normal");
        if (!(std >= 0)) throw new ArgumentException($"normal: expects std >= 0.0, but found std {std}");
        var g = generator ?? Generator.Default;
        var t = Empty(Required(shape), dtype, op: "normal");
        lock (g)
            for (int i = 0; i < t.NumEl; i++) t.SetFlat(i, mean + std * g.NextNormal());
        return t;
    }

    /// <summary>Uniform samples in [low, high) (torch.Tensor.uniform_). low == high gives low everywhere.</summary>
    public static Tensor Uniform(int[] shape, double low, double high, Generator? generator = null, DType dtype = DType.Float32)
    {
        RequireFloatDType(dtype, "uniform");
        if (!(low <= high)) throw new ArgumentException($"uniform: expects to return a [from, to) range, but found from={low} > to={high}");
        if (!double.IsFinite(high - low)) throw new ArgumentException($"uniform: the range {low} to {high} is not finite");
        var g = generator ?? Generator.Default;
        var t = Empty(Required(shape), dtype, op: "uniform");
        lock (g)
        {
            if (dtype == DType.Float32)
            {
                var span = t.Span<float>();
                for (int i = 0; i < span.Length; i++) span[i] = BelowHigh((float)(low + (high - low) * g.NextDouble()), low, high);
            }
            else
            {
                var span = t.Span<double>();
                for (int i = 0; i < span.Length; i++) span[i] = BelowHigh(low + (high - low) * g.NextDouble(), low, high);
            }
        }
        return t;
    }

    /// <summary>low + (high − low)·u with u &lt; 1 can still round onto high (to float32 from u ≥ 1 − 2⁻²⁵, or in
    /// double arithmetic); the range is half-open, so such a value becomes the next number below high.</summary>
    static T BelowHigh<T>(T v, double low, double high) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        while (double.CreateTruncating(v) >= high && double.CreateTruncating(v) > low) v = T.BitDecrement(v);
        return v;
    }

    /// <summary>Integers uniform in [low, high) as Int64 (torch.randint); the range may span all of long.</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        if (high <= low) throw new ArgumentException($"randint: empty range [{low}, {high})");
        var g = generator ?? Generator.Default;
        var t = Empty(Required(shape), DType.Int64, op: "randint");
        var span = t.Span<long>();
        ulong width = unchecked((ulong)(high - low)); // exact even when it passes long.MaxValue
        lock (g)
            for (int i = 0; i < span.Length; i++) span[i] = unchecked(low + (long)g.NextBelow(width));
        return t;
    }

    static void RequireFloatDType(DType dtype, string op)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"{op}: expected a floating point dtype, got {dtype.TorchName()}");
    }
}
