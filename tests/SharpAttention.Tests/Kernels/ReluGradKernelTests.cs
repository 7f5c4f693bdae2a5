using SharpAttention.Kernels.Simd;
using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

/// <summary>ReLU's gradient through the shared activation-backward kernel (Relu op and fused LinearActivation).</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class ReluGradKernelTests
{
    static readonly double[] Specials = [0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-30, -1e-30];

    static (double[] Y, double[] Dy) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var y = new double[n];
        var dy = new double[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(4) == 0 ? Specials[rng.Next(Specials.Length)] : rng.NextDouble() * 4 - 2;
            dy[i] = rng.Next(4) == 0 ? Specials[rng.Next(Specials.Length)] : rng.NextDouble() * 4 - 2;
        }
        return (y, dy);
    }

    /// <summary>threshold_backward at 0, one element at a time: 0 where y ≤ 0, dy elsewhere (NaN y is not ≤ 0).</summary>
    static double Expected(double y, double dy) => y <= 0 ? 0 : dy;

    [Fact]
    public void MatchesThresholdBackwardOnEveryLengthIncludingSpecialValues() => KernelPaths.ForEachWidth(width =>
    {
        foreach (int n in Enumerable.Range(0, 70).Append(3 * 16384 + 5))
        {
            var (y, dy) = Data(n, n);
            var dx = new double[n];
            Elementwise.ActivationBackward<ReluActivationOp, double>(y, dy, dx);
            var yf = Array.ConvertAll(y, v => (float)v);
            var dyf = Array.ConvertAll(dy, v => (float)v);
            var dxf = new float[n];
            Elementwise.ActivationBackward<ReluActivationOp, float>(yf, dyf, dxf);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Expected(y[i], dy[i]).Equals(dx[i]), $"double n={n} i={i}: y {y[i]} dy {dy[i]} -> {dx[i]}");
                Assert.True(((float)Expected(yf[i], dyf[i])).Equals(dxf[i]), $"float n={n} i={i}: y {yf[i]} dy {dyf[i]} -> {dxf[i]}");
            }
        }
    });

    [Fact]
    public void ReluBackwardGivesExactZerosForInfiniteGradientsAndTakesATransposedGradient()
    {
        var x = Tensor.FromArray(new float[] { -1, 0, 2, float.NaN, 3, -4 }, 2, 3).RequiresGrad_();
        var y = x.Relu();
        var g = Tensor.FromArray(new float[] { float.PositiveInfinity, float.NaN, 5, 6, 7, 8 }, 3, 2).T;   // (2, 3) view
        y.Backward(g);
        // g in (2, 3) order: [inf, 5, 7; nan, 6, 8]
        Assert.Equal(new float[] { 0, 0, 7, float.NaN, 6, 0 }, x.Grad!.ToArray());
    }
}
