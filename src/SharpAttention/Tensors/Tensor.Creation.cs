namespace SharpAttention.Tensors;

// Factory functions (torch.zeros, torch.tensor, torch.randn, ...). Arrays passed in are copied.
public sealed partial class Tensor
{
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    public static Tensor Zeros(int[] shape, DType dtype, bool requiresGrad = false) =>
        Empty(shape, dtype, clear: true).RequiresGrad_(requiresGrad);

    public static Tensor Ones(params int[] shape) => Full(shape, 1.0);

    public static Tensor Ones(int[] shape, DType dtype, bool requiresGrad = false) => Full(shape, 1.0, dtype, requiresGrad);

    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = Empty(shape, dtype);
        t.FillRaw(value);
        return t.RequiresGrad_(requiresGrad);
    }

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
        if (step == 0) throw new ArgumentException("arange: step must be nonzero");
        long n = (long)Math.Ceiling((end - start) / step);
        if (n < 0) throw new ArgumentException($"arange: upper bound {end} and lower bound {start} inconsistent with step sign {step}");
        var t = Empty([(int)n], dtype);
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
        var flat = new float[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(float));
        return FromArray(flat, data.GetLength(0), data.GetLength(1));
    }

    static Tensor FromArrayCore<T>(T[] data, DType dtype, int[] shape)
    {
        if (shape.Length == 0) shape = [data.Length];
        if (ShapeUtil.NumEl(shape) != data.Length)
            throw new ArgumentException($"from_array: {data.Length} values cannot fill shape {ShapeUtil.Format(shape)}");
        var t = Empty(shape, dtype);
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
        var g = generator ?? Generator.Default;
        var t = Empty(shape, dtype);
        // Straight into the fresh contiguous storage: per-element SetFlat made initialising a large model take seconds.
        if (dtype == DType.Float32)
            foreach (ref var x in t.Span<float>()) x = (float)(mean + std * g.NextNormal());
        else
            foreach (ref var x in t.Span<double>()) x = mean + std * g.NextNormal();
        return t;
    }

    public static Tensor Uniform(int[] shape, double low, double high, Generator? generator = null, DType dtype = DType.Float32)
    {
        RequireFloatDType(dtype, "uniform");
        var g = generator ?? Generator.Default;
        var t = Empty(shape, dtype);
        if (dtype == DType.Float32)
            foreach (ref var x in t.Span<float>()) x = (float)(low + (high - low) * g.NextDouble());
        else
            foreach (ref var x in t.Span<double>()) x = low + (high - low) * g.NextDouble();
        return t;
    }

    /// <summary>Integers uniform in [low, high) as Int64 (torch.randint).</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        if (high <= low) throw new ArgumentException($"randint: empty range [{low}, {high})");
        var g = generator ?? Generator.Default;
        var t = Empty(shape, DType.Int64);
        var span = t.Span<long>();
        for (int i = 0; i < span.Length; i++) span[i] = low + g.NextInt64(high - low);
        return t;
    }

    static void RequireFloatDType(DType dtype, string op)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"{op}: expected a floating point dtype, got {dtype.TorchName()}");
    }
}
