using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.NN;

public class LossTests
{
    static Tensor Logits(params int[] shape) => Tensor.Randn(shape, new Generator(17), DType.Float64).Mul(2.0);

    static Tensor Targets(int[] data, params int[] shape) => Tensor.FromArray(data, shape);

    static void Close(double expected, double actual, double tol = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    static void Close(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], tol);
    }

    // ---- cross_entropy: values ------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(1000)]
    public void UniformLogitsGiveLogC(int classes)
    {
        var x = Tensor.Full([3, classes], 0.7);
        var t = Targets([0, classes - 1, classes / 2], 3);
        Close(Math.Log(classes), F.CrossEntropy(x, t).Item(), 1e-6);
        Close(3 * Math.Log(classes), F.CrossEntropy(x, t, reduction: Reduction.Sum).Item(), 1e-6);
        Close(Math.Log(classes), F.CrossEntropy(x, t, labelSmoothing: 0.3).Item(), 1e-6);
        Assert.All(F.CrossEntropy(x, t, reduction: Reduction.None).ToArray(), v => Close(Math.Log(classes), v, 1e-6));
    }

    [Fact]
    public void HandWorkedRow()
    {
        // −log softmax([1,2,3])[2] = log(e + e² + e³) − 3
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        Close(Math.Log(Math.E + Math.Exp(2) + Math.Exp(3)) - 3, F.CrossEntropy(x, Targets([2], 1)).Item(), 1e-6);
        // 1-D input with a 0-d target
        var y = F.CrossEntropy(Tensor.FromArray(new float[] { 1, 2, 3 }), Tensor.Scalar(0, DType.Int64), reduction: Reduction.None);
        Assert.Equal(0, y.Dim);
        Close(Math.Log(Math.E + Math.Exp(2) + Math.Exp(3)) - 1, y.Item(), 1e-6);
    }

    [Fact]
    public void MatchesTorchWithWeightSmoothingAndIgnoreIndex()
    {
        // Values from torch 1.13: F.cross_entropy(x, t, weight=w, label_smoothing=0.1) and its gradient.
        var x = Tensor.FromArray(new double[] { 0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 3.0, 3.0, -2.0, -0.5, 0.0, 0.5 }, 4, 3).RequiresGrad_();
        var t = Targets([0, 2, -100, 1], 4);
        var w = Tensor.FromArray(new double[] { 0.2, 1.0, 3.0 });
        var loss = F.CrossEntropy(x, t, weight: w, labelSmoothing: 0.1);
        Close(2.1235262578843357, loss.ItemDouble());
        loss.Backward();
        Close([-0.031088985995679743, -0.004956502353979368, 0.03604548834965912, 0.4842152148100851, 0.13124824333809454,
               -0.6154634581481797, 0, 0, 0, 0.0445500013067178, -0.14615466956811785, 0.10160466826140004], x.Grad!.ToDoubleArray());

        // reduction='none', label_smoothing=0.25, upstream gradient (1, 2, 3, −1)
        x.Grad = null;
        var none = F.CrossEntropy(x, t, labelSmoothing: 0.25, reduction: Reduction.None);
        Close([1.7413112966571571, 2.3098392760738906, 0, 1.1802696706417346], none.ToDoubleArray());
        none.Backward(Tensor.FromArray(new double[] { 1, 2, 3, -1 }));
        Close([-0.6580429411932966, -0.04422076006264588, 0.7022637012559425, 1.270214015635463, 0.24500654132863645,
               -1.5152205569640997, 0, 0, 0, -0.10299038989251423, 0.526137447614835, -0.4231470577223207], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void KDimFormMatchesTorch()
    {
        // Values from torch 1.13: input (2, 3, 2), target (2, 2), class weights, mean.
        var x = Tensor.FromArray(new double[] { 0.0, 0.723230863929924, 1.34857582325629, 1.7913973713600952, 1.99176168907528, 1.9225504059505998,
            1.5931309444721735, 1.0480886833745522, 0.36119253578846583, -0.37458932708580633, -1.0596722818169868, -1.6013335643516353 }, 2, 3, 2).RequiresGrad_();
        var loss = F.CrossEntropy(x, Targets([0, 2, 1, -100], 2, 2), weight: Tensor.FromArray(new double[] { 0.2, 1.0, 3.0 }));
        Close(1.0421132936550437, loss.ItemDouble());
        loss.Backward();
        Close([-0.04370955611062612, 0.09882344183476036, 0.015059110242745291, 0.2875800768343103, 0.028650445867880833, -0.38640351866907063,
               0.17478985233882552, 0, -0.18710439854797187, 0, 0.01231454620914635, 0], x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void KDimEqualsTheTransposedTwoDimForm()
    {
        var x = Logits(2, 5, 3, 2);                                    // (N, C, d1, d2)
        var t = Tensor.RandInt(0, 5, [2, 3, 2], new Generator(3));
        var rows = x.Permute(0, 2, 3, 1).Reshape(-1, 5);               // (N·d1·d2, C)
        var none = F.CrossEntropy(x, t, reduction: Reduction.None, labelSmoothing: 0.2);
        Assert.Equal(new[] { 2, 3, 2 }, none.ShapeArray());
        Close(F.CrossEntropy(rows, t.Reshape(-1), reduction: Reduction.None, labelSmoothing: 0.2).ToDoubleArray(), none.ToDoubleArray());
    }

    [Fact]
    public void HugeLogitsStayFinite()
    {
        var x = Tensor.FromArray(new float[] { 1000, -1000, 0, -1000, 1000, 1000 }, 2, 3).RequiresGrad_();
        var loss = F.CrossEntropy(x, Targets([1, 0], 2), reduction: Reduction.None, labelSmoothing: 0.1);
        var l = loss.ToArray();
        // row 0: −log p_1 = 2000, smoothing term (2000 + 0 + 1000)/3 = 1000; row 1: −log p_0 = 2000 + log 2, smoothing
        // (2000 + 2·0)/3 + log 2
        Close(0.9 * 2000 + 0.1 * 1000, l[0], 1e-6);
        Close(0.9 * (2000 + Math.Log(2)) + 0.1 * (2000.0 / 3 + Math.Log(2)), l[1], 1e-6);
        loss.Backward(Tensor.Ones(2));
        Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void NaNPropagatesExceptInIgnoredRows()
    {
        var x = Tensor.FromArray(new float[] { 1, float.NaN, 2, 0, 1, 2, float.NaN, 0, 0 }, 3, 3);
        var l = F.CrossEntropy(x, Targets([0, 1, -100], 3), reduction: Reduction.None).ToArray();
        Assert.True(float.IsNaN(l[0]));
        Assert.False(float.IsNaN(l[1]));
        Assert.Equal(0f, l[2]);
    }

    [Fact]
    public void AllIgnoredMeanIsNaNSumIsZeroAndGradientIsZero()
    {
        var x = Logits(3, 4).RequiresGrad_();
        var t = Targets([-100, -100, -100], 3);
        Assert.True(double.IsNaN(F.CrossEntropy(x, t).ItemDouble()));
        Assert.True(double.IsNaN(F.CrossEntropy(Tensor.Zeros(0, 4), Targets([], 0)).ItemDouble()));
        Assert.Equal(0, F.CrossEntropy(Tensor.Zeros(0, 4), Targets([], 0), reduction: Reduction.Sum).ItemDouble());
        var sum = F.CrossEntropy(x, t, reduction: Reduction.Sum);
        Assert.Equal(0, sum.ItemDouble());
        sum.Backward();
        Assert.All(x.Grad!.ToDoubleArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void IgnoredTargetsAreLeftOutOfTheMean()
    {
        var x = Logits(4, 3);
        var all = F.CrossEntropy(x, Targets([0, 2, 1, 1], 4), reduction: Reduction.None).ToDoubleArray();
        Close((all[0] + all[2]) / 2, F.CrossEntropy(x, Targets([0, 7, 1, 7], 4), ignoreIndex: 7).ItemDouble());
    }

    [Fact]
    public void Float32AgreesWithFloat64()
    {
        var x = Logits(7, 13);
        var t = Tensor.RandInt(0, 13, [7], new Generator(5));
        var w = Tensor.Uniform([13], 0.5, 2, new Generator(6), DType.Float64);
        var d = F.CrossEntropy(x, t, labelSmoothing: 0.1, weight: w).ItemDouble();
        var f = F.CrossEntropy(x.Float(), t, labelSmoothing: 0.1, weight: w.Float());
        Assert.Equal(DType.Float32, f.DType);
        Close(d, f.ItemDouble(), 1e-6);
    }

    [Fact]
    public void LargeBatchSplitAcrossThreadsMatchesReferenceAndIsDeterministic()
    {
        // 301 × 517 logits is above the parallel threshold, so rows are processed in blocks on several threads.
        const int rows = 301, classes = 517;
        var x = Tensor.Randn([rows, classes], new Generator(31)).Mul(3.0).RequiresGrad_();
        var t = Tensor.RandInt(0, classes, [rows], new Generator(32));
        var loss = F.CrossEntropy(x, t, reduction: Reduction.None, labelSmoothing: 0.1);
        var again = F.CrossEntropy(x.Detach(), t, reduction: Reduction.None, labelSmoothing: 0.1);
        Assert.Equal(loss.ToArray(), again.ToArray());
        var g = Tensor.Randn([rows], new Generator(33));
        loss.Backward(g);

        var xs = x.ToArray();
        var ts = t.ToInt64Array();
        var refLoss = new float[rows];
        var refD = new float[rows * classes];
        SharpAttention.Kernels.Reference.LossReference.CrossEntropyForward<float>(xs, classes, ts, -100, [], 0.1f, refLoss, new float[rows]);
        SharpAttention.Kernels.Reference.LossReference.CrossEntropyBackward<float>(xs, classes, ts, -100, [], 0.1f, g.ToArray(), refD);
        Close(Array.ConvertAll(refLoss, v => (double)v), loss.ToDoubleArray(), 1e-5);
        var d = x.Grad!.ToArray();
        for (int i = 0; i < d.Length; i++) Assert.True(Math.Abs(d[i] - refD[i]) <= 1e-5 * Math.Max(1, Math.Abs(refD[i])), $"grad [{i}]: {d[i]} vs {refD[i]}");
    }

    // ---- cross_entropy: gradients ---------------------------------------------------------------------------

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void GradCheckReductions(Reduction reduction)
    {
        var t = Targets([0, 3, 1, 2, 3], 5);
        GradCheck.Check(x => F.CrossEntropy(x[0], t, reduction: reduction), [Logits(5, 4)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], t, reduction: reduction, labelSmoothing: 0.15), [Logits(5, 4)]);
    }

    [Fact]
    public void GradCheckIgnoreIndexSmoothingAndWeight()
    {
        var t = Targets([0, -100, 2, 1, -100, 2], 6);
        var w = Tensor.FromArray(new double[] { 0.3, 2.0, 1.1 });
        GradCheck.Check(x => F.CrossEntropy(x[0], t), [Logits(6, 3)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], t, weight: w), [Logits(6, 3)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], t, weight: w, labelSmoothing: 0.2), [Logits(6, 3)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], t, weight: w, labelSmoothing: 0.2, reduction: Reduction.None), [Logits(6, 3)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], t, weight: w, labelSmoothing: 1.0, reduction: Reduction.Sum), [Logits(6, 3)]);
        // an ignore index that is also a valid class
        GradCheck.Check(x => F.CrossEntropy(x[0], Targets([0, 1, 2, 1], 4), ignoreIndex: 1, labelSmoothing: 0.1), [Logits(4, 3)]);
    }

    [Fact]
    public void GradCheckShapes()
    {
        var w = Tensor.FromArray(new double[] { 0.5, 1.5, 1.0 });
        GradCheck.Check(x => F.CrossEntropy(x[0], Targets([2, 0, -100, 1, 1, 0], 2, 3), weight: w, labelSmoothing: 0.1), [Logits(2, 3, 3)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], Targets([2, 0, 1, 1, 0, 2, 2, 1], 2, 2, 2), reduction: Reduction.None), [Logits(2, 3, 2, 2)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], Tensor.Scalar(1, DType.Int64)), [Logits(4)]);
        GradCheck.Check(x => F.CrossEntropy(x[0], Targets([0], 1)), [Logits(1, 1)]);
        GradCheck.Check(x => F.CrossEntropy(x[0].T, Targets([0, 2, 1, 2], 4)), [Logits(3, 4)]);   // non-contiguous input
        GradCheck.Check(x => F.CrossEntropy(x[0], Targets([], 0), reduction: Reduction.Sum), [Logits(0, 3)]);
    }

    // ---- cross_entropy: errors ------------------------------------------------------------------------------

    [Fact]
    public void TargetOutOfRangeNamesValuePositionAndClassCount()
    {
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(3, 5), Targets([0, 5, 1], 3)));
        Assert.Contains("cross_entropy", e.Message);
        Assert.Contains("target 5", e.Message);
        Assert.Contains("[1]", e.Message);
        Assert.Contains("5 classes", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3, 2), Targets([0, 1, 2, -1], 2, 2)));
        Assert.Contains("target -1 at index [1,1]", e.Message);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3), Targets([-100, 0], 2), ignoreIndex: 0));
    }

    [Fact]
    public void BadShapesAndArgumentsThrow()
    {
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(3, 5), Targets([0, 1], 2)));
        Assert.Contains("(3,5)", e.Message);
        Assert.Contains("(2,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3, 4), Targets([0, 1, 2, 0, 1, 2], 2, 3)));
        Assert.Contains("(2,3,4)", e.Message);
        Assert.Contains("(2,4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3), Tensor.Zeros(2, 3)));
        Assert.Contains("int64", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3), Targets([0, 1], 2), weight: Tensor.Ones(4)));
        Assert.Contains("(4,)", e.Message);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3), Targets([0, 1], 2), labelSmoothing: 1.5));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Scalar(1.0), Tensor.Scalar(0, DType.Int64)));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(Targets([1, 2], 1, 2), Targets([0], 1)));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(2, 3), Targets([0, 1], 2), weight: Tensor.Ones(3).RequiresGrad_()));
    }

    // ---- nll_loss -------------------------------------------------------------------------------------------

    [Fact]
    public void NllLossPicksMinusTheTargetLogProb()
    {
        var lp = Tensor.FromArray(new float[] { -1, -2, -0.5f, -0.1f, -3, -2 }, 2, 3);
        Close(0.3, F.NllLoss(lp, Targets([2, 0], 2)).Item(), 1e-6);   // torch: 0.3000000119
        Assert.Equal(new float[] { 0.5f, 0 }, F.NllLoss(lp, Targets([2, -100], 2), reduction: Reduction.None).ToArray());
        Close(2.1, F.NllLoss(lp, Targets([1, 0], 2), reduction: Reduction.Sum).Item(), 1e-6);
    }

    [Fact]
    public void NllLossOfLogSoftmaxEqualsCrossEntropy()
    {
        var x = Logits(5, 4);
        var t = Targets([3, 0, -100, 2, 2], 5);
        var w = Tensor.FromArray(new double[] { 1, 2, 0.5, 3 });
        var rows = x.ToDoubleArray();
        var lp = new double[rows.Length];
        for (int r = 0; r < 5; r++)
        {
            double m = rows.Skip(4 * r).Take(4).Max();
            double lse = m + Math.Log(rows.Skip(4 * r).Take(4).Sum(v => Math.Exp(v - m)));
            for (int c = 0; c < 4; c++) lp[4 * r + c] = rows[4 * r + c] - lse;
        }
        Close(F.CrossEntropy(x, t, weight: w).ItemDouble(), F.NllLoss(Tensor.FromArray(lp, 5, 4), t, weight: w).ItemDouble());
    }

    [Fact]
    public void NllLossGradCheckAndErrors()
    {
        GradCheck.Check(x => F.NllLoss(x[0], Targets([1, -100, 0], 3)), [Logits(3, 2)]);
        GradCheck.Check(x => F.NllLoss(x[0], Targets([1, 2, 0], 3), reduction: Reduction.None, weight: Tensor.FromArray(new double[] { 2, 1, 3 })), [Logits(3, 3)]);
        GradCheck.Check(x => F.NllLoss(x[0], Targets([1, 2, 0, 0], 2, 2), reduction: Reduction.Sum), [Logits(2, 3, 2)]);
        var e = Assert.Throws<ArgumentException>(() => F.NllLoss(Logits(2, 3), Targets([3, 0], 2)));
        Assert.Contains("nll_loss", e.Message);
        Assert.Contains("target 3", e.Message);
    }

    // ---- binary_cross_entropy_with_logits -------------------------------------------------------------------

    [Fact]
    public void BceWithLogitsMatchesTorch()
    {
        // Values from torch 1.13.
        var x = Tensor.FromArray(new double[] { -3.0, -0.5, 0.0, 0.7, 4.0, 20.0 }).RequiresGrad_();
        var t = Tensor.FromArray(new double[] { 0.0, 1.0, 0.3, 1.0, 0.0, 0.9 }).RequiresGrad_();
        Close([0.048587351573741965, 0.9740769841801067, 0.6931471805599453, 0.40318604888545784, 4.0181499279178094, 2.000000002061153],
            F.BinaryCrossEntropyWithLogits(x, t, Reduction.None).ToDoubleArray());
        var loss = F.BinaryCrossEntropyWithLogits(x, t);
        Close(1.356191249196369, loss.ItemDouble());
        loss.Backward();
        Close([0.00790431219626113, -0.10374322186697577, 0.03333333333333333, -0.055302037971972307, 0.16366896500631808, 0.01666666632314105],
            x.Grad!.ToDoubleArray());
        Close([0.5, 0.08333333333333333, 0, -0.11666666666666665, -0.6666666666666666, -3.3333333333333335], t.Grad!.ToDoubleArray());
    }

    [Fact]
    public void BceWithLogitsExtremesLikeTorch()
    {
        var l = F.BinaryCrossEntropyWithLogits(Tensor.FromArray(new float[] { 1000, -1000, float.PositiveInfinity, float.NaN }),
            Tensor.FromArray(new float[] { 0, 0, 0, 1 }), Reduction.None).ToArray();
        Assert.Equal(1000f, l[0]);
        Assert.Equal(0f, l[1]);
        Assert.Equal(float.PositiveInfinity, l[2]);
        Assert.True(float.IsNaN(l[3]));
    }

    [Fact]
    public void BceWithLogitsGradCheckAndErrors()
    {
        var g = new Generator(21);
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            GradCheck.Check(x => F.BinaryCrossEntropyWithLogits(x[0], x[1], r), [Logits(3, 4), Tensor.Rand([3, 4], g, DType.Float64)]);
        GradCheck.Check(x => F.BinaryCrossEntropyWithLogits(x[0].T, x[1]), [Logits(2, 5), Tensor.Rand([5, 2], g, DType.Float64)]);
        GradCheck.Check(x => F.BinaryCrossEntropyWithLogits(x[0], x[1], Reduction.Sum), [Logits(0, 2), Tensor.Zeros([0, 2], DType.Float64)]);
        var e = Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Logits(3, 4), Tensor.Rand(3)));
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(3,4)", e.Message);
        Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Logits(2), Targets([0, 1], 2)));
    }
}
