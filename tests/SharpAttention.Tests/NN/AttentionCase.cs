using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.NN;

/// <summary>One random scaled-dot-product-attention problem for the fused-vs-composed-vs-reference tests.</summary>
public sealed record AttentionCase(int B, int H, int Hkv, int L, int S, int E, int Ev, string Mask = "none", bool Causal = false,
    bool KeyLengths = false, double Dropout = 0, bool ThreeD = false, ulong Seed = 1)
{
    /// <summary>Inputs: q, k, v, mask (or null), keyLengths (or null), and dO.</summary>
    public (Tensor Q, Tensor K, Tensor V, Tensor? Mask, Tensor? Lengths, Tensor DOut) Make(DType dtype)
    {
        var g = new Generator(Seed);
        Tensor Rand(params int[] shape) => Tensor.Randn(shape, g, DType.Float64).To(dtype);
        var q = ThreeD ? Rand(B, L, E) : Rand(B, H, L, E);
        var k = ThreeD ? Rand(B, S, E) : Rand(B, Hkv, S, E);
        var v = ThreeD ? Rand(B, S, Ev) : Rand(B, Hkv, S, Ev);
        var dOut = ThreeD ? Rand(B, L, Ev) : Rand(B, H, L, Ev);
        Tensor? mask = Mask switch
        {
            "none" => null,
            // (L, S) bool, random with every 5th row fully blocked (rows that see nothing must give zeros).
            "bool2d" => BoolMask(g, [L, S], fullRowEvery: 5),
            // (B, 1, 1, S) key padding style.
            "boolpad" => BoolMask(g, ThreeD ? [B, 1, S] : [B, 1, 1, S], fullRowEvery: 0),
            // full (B, H, L, S) bool.
            "boolfull" => BoolMask(g, ThreeD ? [B, L, S] : [B, H, L, S], fullRowEvery: 3),
            // (H, L, S) additive with some −∞.
            "float" => FloatMask(g, ThreeD ? [L, S] : [H, L, S], dtype),
            _ => throw new ArgumentException(Mask),
        };
        Tensor? lengths = null;
        if (KeyLengths)
        {
            var n = new long[B];
            for (int b = 0; b < B; b++) n[b] = b == 1 ? 0 : 1 + (long)(g.NextDouble() * S) % S;   // batch row 1 sees nothing
            lengths = Tensor.FromArray(n, B);
        }
        return (q, k, v, mask, lengths, dOut);
    }

    static Tensor BoolMask(Generator g, int[] shape, int fullRowEvery)
    {
        var t = Tensor.Rand(shape, g, DType.Float64).Lt(0.7);
        if (fullRowEvery == 0) return t;
        var data = t.ToBoolArray();
        int s = shape[^1];
        for (int r = 0; r < data.Length / s; r += fullRowEvery) Array.Clear(data, r * s, s);
        return Tensor.FromArray(data, shape);
    }

    static Tensor FloatMask(Generator g, int[] shape, DType dtype)
    {
        var data = Tensor.Randn(shape, g, DType.Float64).ToDoubleArray();
        for (int i = 0; i < data.Length; i++)
            if (g.NextDouble() < 0.2) data[i] = double.NegativeInfinity;
        return Tensor.FromArray(data, shape).To(dtype);
    }

    /// <summary>Runs forward and backward; returns output, dq, dk, dv as double arrays.</summary>
    public (double[] O, double[] Dq, double[] Dk, double[] Dv) Run(AttentionBackend backend, DType dtype, ulong dropoutSeed = 99)
    {
        var (q, k, v, mask, lengths, dOut) = Make(dtype);
        q.RequiresGrad = k.RequiresGrad = v.RequiresGrad = true;
        var o = F.ScaledDotProductAttention(q, k, v, mask, Dropout, Causal, enableGqa: H != Hkv, keyLengths: lengths,
                                            generator: new Generator(dropoutSeed), backend: backend);
        o.Backward(dOut);
        return (o.ToDoubleArray(), q.Grad!.ToDoubleArray(), k.Grad!.ToDoubleArray(), v.Grad!.ToDoubleArray());
    }

    public override string ToString() =>
        $"B{B} H{H}/{Hkv} L{L} S{S} E{E} Ev{Ev} mask={Mask}{(Causal ? " causal" : "")}{(KeyLengths ? " lengths" : "")}" +
        $"{(Dropout > 0 ? $" p={Dropout}" : "")}{(ThreeD ? " 3d" : "")}";
}
