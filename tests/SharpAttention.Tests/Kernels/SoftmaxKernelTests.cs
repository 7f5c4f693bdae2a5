using System.Numerics;
using SharpAttention.Kernels;
using SharpAttention.Kernels.Reference;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Kernels.RowKernelTestUtil;

namespace SharpAttention.Tests.Kernels;

[Collection(GlobalKernelStateCollection.Name)]
public class SoftmaxKernelTests
{
    [Fact]
    public void FastMatchesReferenceOnAllLengthsAndWidths() => KernelPaths.ForEachWidth(_ =>
    {
        Compare<float>(2e-6);
        Compare<double>(1e-14);
    });

    static void Compare<T>(double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(5);
        foreach (int rows in RowCounts)
            foreach (int n in Lengths)
            {
                var x = Normal<T>(g, rows * n, std: 8);
                if (n > 0) Spike(x, n, g);
                var dy = Normal<T>(g, rows * n);
                string at = $"rows={rows} n={n}";
                T[] y = new T[x.Length], yRef = new T[x.Length], dx = new T[x.Length], dxRef = new T[x.Length];

                SoftmaxKernel.Forward<T>(y, x, n);
                SoftmaxReference.Forward<T>(yRef, x, n);
                AssertClose<T>(yRef, y, tol, tol, "softmax " + at);
                // Backward from the same saved output so only the backward kernels are compared.
                SoftmaxKernel.Backward<T>(dx, dy, yRef, n);
                SoftmaxReference.Backward<T>(dxRef, dy, yRef, n);
                AssertClose<T>(dxRef, dx, 4 * tol, 4 * tol, "softmax backward " + at);

                SoftmaxKernel.LogForward<T>(y, x, n);
                SoftmaxReference.LogForward<T>(yRef, x, n);
                AssertClose<T>(yRef, y, tol, tol, "log_softmax " + at);
                SoftmaxKernel.LogBackward<T>(dx, dy, yRef, n);
                SoftmaxReference.LogBackward<T>(dxRef, dy, yRef, n);
                AssertClose<T>(dxRef, dx, 4 * tol, 4 * tol, "log_softmax backward " + at);
            }
    }

    /// <summary>Gives the rows huge logits (±1000: exp overflows without the max shift), −inf entries (masked
    /// positions), a row that is entirely −inf (a fully masked row: NaN), and rows with +inf or NaN (NaN rows).</summary>
    static void Spike<T>(T[] x, int n, Generator g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = x.Length / n;
        x[(int)g.NextInt64(n)] = T.CreateTruncating(1000);
        x[(int)g.NextInt64(n)] = T.CreateTruncating(-1000);
        if (n > 2) x[(int)g.NextInt64(n)] = T.NegativeInfinity;
        if (rows >= 3) x.AsSpan(n, n).Fill(T.NegativeInfinity);
        if (rows >= 7)
        {
            x[3 * n + (int)g.NextInt64(n)] = T.PositiveInfinity;
            x[5 * n + (int)g.NextInt64(n)] = T.NaN;
        }
    }

    [Fact]
    public void HandWorkedRows() => KernelPaths.ForEachWidth(_ =>
    {
        float[] y = new float[3];
        SoftmaxKernel.Forward<float>(y, [1000, -1000, 0], 3);
        Assert.Equal(new float[] { 1, 0, 0 }, y);
        SoftmaxKernel.LogForward<float>(y, [1000, -1000, 0], 3);
        Assert.Equal(new float[] { 0, -2000, -1000 }, y);
        // ln(e⁰ + e¹ + e²) = 2.40760596; torch.log_softmax([0, 1, 2]) = [-2.4076, -1.4076, -0.4076].
        SoftmaxKernel.LogForward<float>(y, [0, 1, 2], 3);
        AssertClose<float>([-2.40760596f, -1.40760596f, -0.40760596f], y, 1e-6, 0, "log_softmax [0,1,2]");
        SoftmaxKernel.Forward<float>(y, [float.NegativeInfinity, 0, 0], 3);
        Assert.Equal(new float[] { 0, 0.5f, 0.5f }, y);
        SoftmaxKernel.Forward<float>(y, [float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 3);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        SoftmaxKernel.Forward<float>(y, [float.PositiveInfinity, 1, 2], 3);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    });
}
