using System.Numerics;
using SharpAttention.Kernels;
using SharpAttention.Kernels.Reference;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Kernels.RowKernelTestUtil;

namespace SharpAttention.Tests.Kernels;

/// <summary>Layer norm and RMS norm kernels against their reference twins on every length 0..257, odd row counts and
/// every SIMD path this machine runs.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class NormalizationKernelTests
{
    [Fact]
    public void LayerNormFastMatchesReferenceOnAllLengthsAndWidths() => KernelPaths.ForEachWidth(_ =>
    {
        LayerNorm<float>(1e-5);
        LayerNorm<double>(1e-12);
    });

    [Fact]
    public void RmsNormFastMatchesReferenceOnAllLengthsAndWidths() => KernelPaths.ForEachWidth(_ =>
    {
        RmsNorm<float>(1e-5);
        RmsNorm<double>(1e-12);
    });

    static void LayerNorm<T>(double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(3);
        foreach (int rows in RowCounts)
            foreach (int n in Lengths)
                foreach (bool affine in new[] { true, false })
                {
                    // An offset mean stresses the two-pass variance.
                    var x = Normal<T>(g, rows * n, mean: 50, std: 2);
                    var dy = Normal<T>(g, rows * n);
                    var w = affine ? Normal<T>(g, n, 1, 0.5) : [];
                    var b = affine ? Normal<T>(g, n) : [];
                    string at = $"rows={rows} n={n} affine={affine}";
                    T[] y = new T[x.Length], yr = new T[x.Length], m = new T[rows], mr = new T[rows], s = new T[rows], sr = new T[rows];
                    LayerNormKernel.Forward<T>(y, m, s, x, w, b, n, 1e-5);
                    NormalizationReference.LayerNormForward<T>(yr, mr, sr, x, w, b, n, 1e-5);
                    AssertClose<T>(mr, m, tol, tol, "layer_norm mean " + at);
                    AssertClose<T>(sr, s, tol, tol, "layer_norm rstd " + at);
                    AssertClose<T>(yr, y, tol, tol, "layer_norm y " + at);

                    T[] dx = new T[x.Length], dxr = new T[x.Length], dw = new T[w.Length], dwr = new T[w.Length];
                    T[] db = new T[b.Length], dbr = new T[b.Length];
                    LayerNormKernel.Backward<T>(dx, dw, db, dy, x, w, mr, sr, n);
                    NormalizationReference.LayerNormBackward<T>(dxr, dwr, dbr, dy, x, w, mr, sr, n);
                    AssertClose<T>(dxr, dx, tol, tol, "layer_norm dx " + at);
                    AssertClose<T>(dwr, dw, tol, tol, "layer_norm dweight " + at);
                    AssertClose<T>(dbr, db, tol, tol, "layer_norm dbias " + at);
                }
    }

    static void RmsNorm<T>(double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(4);
        foreach (int rows in RowCounts)
            foreach (int n in Lengths)
                foreach (bool affine in new[] { true, false })
                {
                    var x = Normal<T>(g, rows * n, mean: 1, std: 2);
                    var dy = Normal<T>(g, rows * n);
                    var w = affine ? Normal<T>(g, n, 1, 0.5) : [];
                    string at = $"rows={rows} n={n} affine={affine}";
                    T[] y = new T[x.Length], yr = new T[x.Length], s = new T[rows], sr = new T[rows];
                    RmsNormKernel.Forward<T>(y, s, x, w, n, 1e-6);
                    NormalizationReference.RmsNormForward<T>(yr, sr, x, w, n, 1e-6);
                    AssertClose<T>(sr, s, tol, tol, "rms_norm rstd " + at);
                    AssertClose<T>(yr, y, tol, tol, "rms_norm y " + at);

                    T[] dx = new T[x.Length], dxr = new T[x.Length], dw = new T[w.Length], dwr = new T[w.Length];
                    RmsNormKernel.Backward<T>(dx, dw, dy, x, w, sr, n);
                    NormalizationReference.RmsNormBackward<T>(dxr, dwr, dy, x, w, sr, n);
                    AssertClose<T>(dxr, dx, tol, tol, "rms_norm dx " + at);
                    AssertClose<T>(dwr, dw, tol, tol, "rms_norm dweight " + at);
                }
    }

    [Fact]
    public void NaNAndInfinityPropagate() => KernelPaths.ForEachWidth(_ =>
    {
        float[] y = new float[6], m = new float[2], s = new float[2];
        LayerNormKernel.Forward<float>(y, m, s, [1, float.NaN, 2, 1, float.PositiveInfinity, 3], [], [], 3, 1e-5);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        RmsNormKernel.Forward<float>(y, s, [1, float.NaN, 2, 1, 2, 3], [], 3, 1e-5);
        Assert.All(y[..3], v => Assert.True(float.IsNaN(v)));
        Assert.All(y[3..], v => Assert.False(float.IsNaN(v)));
    });
}
