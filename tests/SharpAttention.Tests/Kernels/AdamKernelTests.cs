using System.Numerics;
using SharpAttention.Kernels.Optim;
using SharpAttention.Kernels.Reference;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Kernels.RowKernelTestUtil;

namespace SharpAttention.Tests.Kernels;

/// <summary>The vectorised Adam/AdamW update against its scalar twin: bit for bit, on every length 0..257, at every
/// SIMD width, for each flavour (L2 decay, decoupled decay, AMSGrad) and over several steps.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class AdamKernelTests
{
    [Theory]
    [InlineData(false, 0.0, false)]
    [InlineData(false, 0.1, false)]
    [InlineData(true, 0.01, false)]
    [InlineData(true, 0.01, true)]
    [InlineData(false, 0.1, true)]
    public void MatchesReferenceBitForBitOnAllLengthsAndWidths(bool decoupled, double weightDecay, bool amsgrad) =>
        KernelPaths.ForEachWidth(width =>
        {
            Compare<float>(decoupled, weightDecay, amsgrad, width);
            Compare<double>(decoupled, weightDecay, amsgrad, width);
        });

    static void Compare<T>(bool decoupled, double weightDecay, bool amsgrad, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(21);
        foreach (int n in Lengths)
        {
            var p = Normal<T>(g, n);
            var pr = (T[])p.Clone();
            T[] m = new T[n], v = new T[n], vmax = new T[n], mr = new T[n], vr = new T[n], vmaxr = new T[n];
            for (long step = 1; step <= 3; step++)
            {
                var grad = Normal<T>(g, n, std: 0.1 * step);
                AdamKernel.Step<T>(p, grad, m, v, vmax, 1e-3, 0.9, 0.999, 1e-8, weightDecay, decoupled, amsgrad, step);
                AdamReference.Step<T>(pr, grad, mr, vr, vmaxr, 1e-3, 0.9, 0.999, 1e-8, weightDecay, decoupled, amsgrad, step);
            }
            string at = $"n={n} width={width} {typeof(T).Name}";
            Assert.True(pr.AsSpan().SequenceEqual(p), "param " + at);
            Assert.True(mr.AsSpan().SequenceEqual(m), "exp_avg " + at);
            Assert.True(vr.AsSpan().SequenceEqual(v), "exp_avg_sq " + at);
            Assert.True(vmaxr.AsSpan().SequenceEqual(vmax), "max_exp_avg_sq " + at);
        }
    }

    [Fact]
    public void NaNAndInfinityInTheGradientPropagateToTheirOwnWeightOnly() => KernelPaths.ForEachWidth(width =>
    {
        const int n = 37;
        var p = new float[n];
        var grad = new float[n];
        for (int i = 0; i < n; i++) grad[i] = 0.5f;
        grad[3] = float.NaN;
        grad[20] = float.PositiveInfinity;
        float[] m = new float[n], v = new float[n];
        AdamKernel.Step<float>(p, grad, m, v, m, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, false, 1);
        for (int i = 0; i < n; i++)
        {
            // ∞/∞ in m/√v gives NaN, as in torch.
            if (i == 3 || i == 20) Assert.True(float.IsNaN(p[i]), $"width {width} index {i}: {p[i]}");
            else Assert.Equal(-1e-3f, p[i], 1e-9f);
        }
    });
}
