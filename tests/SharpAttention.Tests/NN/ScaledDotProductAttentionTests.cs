using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.NN;

public class ScaledDotProductAttentionTests
{
    public static TheoryData<AttentionCase> Cases() =>
    [
        new(1, 1, 1, 1, 1, 8, 8),
        new(2, 2, 2, 3, 0, 4, 5),                                // no keys: zeros
        new(2, 2, 2, 0, 4, 4, 5),                                // no queries
        new(2, 2, 2, 7, 7, 8, 8),
        new(2, 3, 3, 7, 13, 16, 5),                             // cross-attention, E ≠ Ev
        new(1, 2, 2, 64, 64, 64, 64, Causal: true),
        new(2, 2, 2, 33, 19, 8, 8, Causal: true),               // L > S: top-left alignment leaves rows ≥ S seeing all keys
        new(2, 4, 2, 17, 23, 8, 8),                              // GQA
        new(2, 4, 1, 9, 12, 8, 8, Causal: true),                 // multi-query
        new(2, 2, 2, 11, 29, 8, 8, Mask: "bool2d"),
        new(3, 2, 2, 11, 29, 8, 12, Mask: "boolpad"),
        new(2, 2, 2, 11, 29, 8, 8, Mask: "boolfull"),
        new(2, 2, 2, 11, 29, 8, 8, Mask: "float"),
        new(3, 2, 2, 10, 37, 8, 8, KeyLengths: true),
        new(3, 2, 2, 40, 37, 8, 8, KeyLengths: true, Causal: true),
        new(2, 2, 1, 9, 15, 8, 8, Mask: "float", KeyLengths: true),
        new(2, 1, 1, 9, 15, 8, 8, Mask: "bool2d", ThreeD: true),
        new(2, 2, 2, 9, 15, 8, 8, Dropout: 0.3),
        new(2, 4, 2, 9, 15, 8, 8, Dropout: 0.5, Causal: true, KeyLengths: true),
        new(1, 2, 2, 257, 257, 64, 64, Causal: true),
        new(1, 4, 2, 130, 150, 80, 80, Mask: "float"),
        new(3, 2, 1, 7, 257, 8, 8, Mask: "bool2d", KeyLengths: true),
        new(2, 2, 2, 100, 90, 64, 64, Mask: "boolpad", Dropout: 0.2),
    ];

    static void Close(double[] expected, double[] actual, double atol, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(double.IsNaN(actual[i]), $"{what}[{i}] is NaN");
            if (!(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    static void SameResults((double[] O, double[] Dq, double[] Dk, double[] Dv) e, (double[] O, double[] Dq, double[] Dk, double[] Dv) a,
        double atol, double rtol)
    {
        Close(e.O, a.O, atol, rtol, "output");
        Close(e.Dq, a.Dq, atol, rtol, "dq");
        Close(e.Dk, a.Dk, atol, rtol, "dk");
        Close(e.Dv, a.Dv, atol, rtol, "dv");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ComposedMatchesReferenceInDouble(AttentionCase c) =>
        SameResults(c.Run(AttentionBackend.Fused, DType.Float64), c.Run(AttentionBackend.Composed, DType.Float64), 1e-12, 1e-10);

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedFloatMatchesReference(AttentionCase c) =>
        SameResults(c.Run(AttentionBackend.Fused, DType.Float64), c.Run(AttentionBackend.Fused, DType.Float32), 2e-5, 2e-4);

    [Theory]
    [MemberData(nameof(Cases))]
    public void ComposedFloatMatchesReference(AttentionCase c) =>
        SameResults(c.Run(AttentionBackend.Fused, DType.Float64), c.Run(AttentionBackend.Composed, DType.Float32), 2e-5, 2e-4);

    public static TheoryData<AttentionCase> GradCases() =>
    [
        new(1, 2, 1, 3, 4, 3, 2, Causal: true),
        new(2, 1, 1, 3, 5, 2, 3, Mask: "float"),
        new(2, 2, 2, 4, 3, 2, 2, Mask: "boolfull", KeyLengths: true),
        new(1, 2, 2, 3, 4, 2, 2, Dropout: 0.4),
    ];

    [Theory]
    [MemberData(nameof(GradCases))]
    public void GradCheckFused(AttentionCase c) => GradCheckWith(c, AttentionBackend.Fused);

    [Theory]
    [MemberData(nameof(GradCases))]
    public void GradCheckComposed(AttentionCase c) => GradCheckWith(c, AttentionBackend.Composed);

    static void GradCheckWith(AttentionCase c, AttentionBackend backend)
    {
        var (q, k, v, mask, lengths, _) = c.Make(DType.Float64);
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], mask, c.Dropout, c.Causal, enableGqa: c.H != c.Hkv,
                                                          keyLengths: lengths, generator: new Generator(5), backend: backend),
                        [q, k, v]);
    }

    [Theory]
    [InlineData(AttentionBackend.Fused, DType.Float32)]
    [InlineData(AttentionBackend.Fused, DType.Float64)]
    [InlineData(AttentionBackend.Composed, DType.Float32)]
    public void FullyMaskedRowsGiveZerosAndNoNaN(AttentionBackend backend, DType dtype)
    {
        var c = new AttentionCase(2, 2, 2, 6, 5, 4, 4, Mask: "bool2d");   // rows 0 and 5 of every head see nothing
        var (o, dq, dk, dv) = c.Run(backend, dtype);
        foreach (var x in o.Concat(dq).Concat(dk).Concat(dv)) Assert.False(double.IsNaN(x));
        for (int bh = 0; bh < 4; bh++)
            foreach (int row in new[] { 0, 5 })
                for (int e = 0; e < 4; e++)
                {
                    Assert.Equal(0.0, o[(bh * 6 + row) * 4 + e]);
                    Assert.Equal(0.0, dq[(bh * 6 + row) * 4 + e]);
                }
    }

    [Fact]
    public void FusedAllocatesNothingQuadraticAtN4096()
    {
        const int n = 4096;
        var g = new Generator(3);
        var q = Tensor.Randn([1, 1, n, 64], g).RequiresGrad_();
        var k = Tensor.Randn([1, 1, n, 64], g).RequiresGrad_();
        var v = Tensor.Randn([1, 1, n, 64], g).RequiresGrad_();
        var dOut = Tensor.Randn([1, 1, n, 64], g);
        F.ScaledDotProductAttention(q, k, v, isCausal: true).Backward(dOut);   // warm-up: workspaces, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();   // other test classes run in parallel
        F.ScaledDotProductAttention(q, k, v, isCausal: true).Backward(dOut);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // (N, N) float scores alone would be 64 MB; inputs-sized buffers (o, lse, gradients) are 1 MB each.
        Assert.True(allocated < 12L << 20, $"fused attention allocated {allocated} bytes at N = {n}");
    }

    [Theory]
    [InlineData(AttentionBackend.Fused, DType.Float32)]
    [InlineData(AttentionBackend.Fused, DType.Float64)]
    [InlineData(AttentionBackend.Composed, DType.Float64)]
    public void DropoutEqualsTheComposedPathGivenTheKernelsMask(AttentionBackend backend, DType dtype)
    {
        const double p = 0.3;
        var c = new AttentionCase(2, 4, 2, 37, 70, 16, 8, Causal: true);
        var (q, k, v, _, _, dOut) = c.Make(dtype);
        q.RequiresGrad = k.RequiresGrad = v.RequiresGrad = true;
        var o = F.ScaledDotProductAttention(q, k, v, dropoutP: p, isCausal: true, enableGqa: true, generator: new Generator(42), backend: backend);
        o.Backward(dOut);

        // The kernel's mask: the hash seeded by the generator's first draw.
        var keep = Tensor.FromArray(new bool[2 * 4 * 37 * 70], 2, 4, 37, 70);
        SharpAttention.Kernels.Attention.AttentionDropout.FillKeepMask(keep.Span<bool>(), new Generator(42).NextUInt64(), 2, 4, 37, 70, p);
        var fraction = keep.ToBoolArray().Count(x => x) / (double)keep.NumEl;
        Assert.InRange(fraction, 0.68, 0.72);

        // Composed by hand, dropout-free weights with that mask applied.
        var (q2, k2, v2) = (q.Detach().RequiresGrad_(), k.Detach().RequiresGrad_(), v.Detach().RequiresGrad_());
        var w = F.ScaledDotProductAttentionWithWeights(q2, k2, v2, isCausal: true, enableGqa: true).Weights;
        var vRep = v2.Unsqueeze(2).Expand(2, 2, 2, 70, 8).Reshape(2, 4, 70, 8);
        var expected = (w.MaskedFill(keep.LogicalNot(), 0) * (1 / (1 - p))).MatMul(vRep);
        expected.Backward(dOut);
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        Close(expected.ToDoubleArray(), o.ToDoubleArray(), tol, tol * 10, "output");
        Close(q2.Grad!.ToDoubleArray(), q.Grad!.ToDoubleArray(), tol, tol * 10, "dq");
        Close(k2.Grad!.ToDoubleArray(), k.Grad!.ToDoubleArray(), tol, tol * 10, "dk");
        Close(v2.Grad!.ToDoubleArray(), v.Grad!.ToDoubleArray(), tol, tol * 10, "dv");
    }

    [Theory]
    [InlineData(AttentionBackend.Fused, DType.Float32)]
    [InlineData(AttentionBackend.Fused, DType.Float64)]
    [InlineData(AttentionBackend.Composed, DType.Float64)]
    public void BottomRightCausalIsTheLastRowsOfFullCausal(AttentionBackend backend, DType dtype)
    {
        // The last L queries of a length-S causal self-attention, against all S keys (KV-cache decoding).
        var c = new AttentionCase(2, 4, 2, 100, 100, 64, 64, Causal: true);
        var (q, k, v, _, _, _) = c.Make(dtype);
        var full = F.ScaledDotProductAttention(q, k, v, isCausal: true, enableGqa: true, backend: backend);
        foreach (int l in new[] { 1, 7, 100 })
        {
            var tail = F.ScaledDotProductAttentionCausalBottomRight(q.Narrow(2, 100 - l, l).Contiguous(), k, v, enableGqa: true, backend: backend);
            double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
            Close(full.Narrow(2, 100 - l, l).Contiguous().ToDoubleArray(), tail.ToDoubleArray(), tol, tol * 10, $"last {l} rows");
        }
    }

    [Fact]
    public void PermutedViewsAreReadInPlaceAndGiveTheSameResult()
    {
        // (B, T, H, D) storage viewed as (B, H, T, D), as multi-head attention produces it: row-strided, no copy needed.
        var g = new Generator(8);
        var qs = Tensor.Randn([2, 70, 4, 16], g);
        var ks = Tensor.Randn([2, 90, 2, 16], g);
        var vs = Tensor.Randn([2, 90, 2, 16], g);
        var (q, k, v) = (qs.Permute(0, 2, 1, 3), ks.Permute(0, 2, 1, 3), vs.Permute(0, 2, 1, 3));
        Assert.False(q.IsContiguous);
        q.RequiresGrad = false;
        var (qr, kr, vr) = (qs.Detach().RequiresGrad_(), ks.Detach().RequiresGrad_(), vs.Detach().RequiresGrad_());
        var o = F.ScaledDotProductAttention(qr.Permute(0, 2, 1, 3), kr.Permute(0, 2, 1, 3), vr.Permute(0, 2, 1, 3), isCausal: true, enableGqa: true);
        var expected = F.ScaledDotProductAttention(q.Contiguous(), k.Contiguous(), v.Contiguous(), isCausal: true, enableGqa: true);
        Assert.Equal(expected.ToArray(), o.ToArray());
        o.Sum().Backward();
        Assert.Equal([2, 70, 4, 16], qr.Grad!.Shape.ToArray());
        Assert.Equal([2, 90, 2, 16], kr.Grad!.Shape.ToArray());
    }

    [Fact]
    public void FloatMaskThatRequiresGradGetsItsGradient()
    {
        var c = new AttentionCase(2, 2, 2, 5, 6, 4, 3, Mask: "float");
        var (q, k, v, mask, _, dOut) = c.Make(DType.Float64);
        var bias = Tensor.Randn([2, 5, 6], new Generator(4), DType.Float64).RequiresGrad_();
        F.ScaledDotProductAttention(q, k, v, bias, backend: AttentionBackend.Fused).Backward(dOut);
        var bias2 = bias.Detach().RequiresGrad_();
        F.ScaledDotProductAttention(q, k, v, bias2, backend: AttentionBackend.Composed).Backward(dOut);
        Close(bias2.Grad!.ToDoubleArray(), bias.Grad!.ToDoubleArray(), 1e-12, 1e-10, "dmask");
    }

    [Fact]
    public void WithWeightsReturnsProbabilities()
    {
        var c = new AttentionCase(2, 2, 2, 5, 7, 4, 3, Mask: "bool2d");
        var (q, k, v, mask, _, _) = c.Make(DType.Float64);
        var (o, w) = F.ScaledDotProductAttentionWithWeights(q, k, v, mask);
        Assert.Equal([2, 2, 5, 7], w.Shape.ToArray());
        var rows = w.Sum(-1).ToDoubleArray();
        for (int r = 0; r < rows.Length; r++) Assert.Equal(r % 5 == 0 ? 0 : 1, rows[r], 12);
        Close(F.ScaledDotProductAttention(q, k, v, mask).ToDoubleArray(), o.ToDoubleArray(), 1e-12, 1e-12, "output");
        Close(w.MatMul(v).ToDoubleArray(), o.ToDoubleArray(), 1e-12, 1e-12, "weights·v");
    }

    [Fact]
    public void ThreeDInputsGiveThreeDOutput()
    {
        var q = Tensor.Randn([2, 5, 4], new Generator(1));
        var k = Tensor.Randn([2, 6, 4], new Generator(2));
        var v = Tensor.Randn([2, 6, 3], new Generator(3));
        var o = F.ScaledDotProductAttention(q, k, v);
        Assert.Equal([2, 5, 3], o.Shape.ToArray());
        var o4 = F.ScaledDotProductAttention(q.Unsqueeze(1), k.Unsqueeze(1), v.Unsqueeze(1));
        Assert.Equal(o4.Squeeze(1).ToArray(), o.ToArray());
    }

    [Fact]
    public void ErrorsNameTheOpAndShapes()
    {
        var q = Tensor.Zeros(1, 2, 3, 4);
        var k = Tensor.Zeros(1, 2, 5, 4);
        var bad = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros(1, 2, 5, 6), k));
        Assert.Contains("scaled_dot_product_attention", bad.Message);
        Assert.Contains("(1,2,5,6)", bad.Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, k, Tensor.Zeros(3, 5), isCausal: true));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, k, Tensor.Zeros(4, 5)));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(Tensor.Zeros(1, 4, 3, 4), Tensor.Zeros(1, 3, 5, 4), Tensor.Zeros(1, 3, 5, 4), enableGqa: true));
        Assert.Contains("enableGqa", Assert.Throws<ArgumentException>(() =>
            F.ScaledDotProductAttention(Tensor.Zeros(1, 4, 3, 4), k, k)).Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, k, keyLengths: Tensor.FromArray(new long[] { 6 }, 1)));
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, k, dropoutP: 1.5));
    }
}
