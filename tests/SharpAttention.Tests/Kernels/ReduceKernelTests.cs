using System.Numerics;
using SharpAttention.Kernels;
using SharpAttention.Kernels.Reference;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Kernels.RowKernelTestUtil;

namespace SharpAttention.Tests.Kernels;

[Collection(GlobalKernelStateCollection.Name)]
public class ReduceKernelTests
{
    [Fact]
    public void FastMatchesReferenceOnAllLengthsAndWidths() => KernelPaths.ForEachWidth(_ =>
    {
        Compare<float>(1e-6);
        Compare<double>(1e-13);
    });

    static void Compare<T>(double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(11);
        foreach (int rows in RowCounts)
            foreach (int n in Lengths)
            {
                // A large common offset makes a one-pass variance lose every digit; two-pass keeps them.
                var x = Normal<T>(g, rows * n, mean: n % 2 == 0 ? 0 : 1000, std: 3);
                string at = $"rows={rows} n={n}";
                double scale = 1;
                foreach (var v in x) scale += Math.Abs(double.CreateTruncating(v));
                Check(x, rows, n, (y, s) => ReduceKernel.SumRows<T>(y, s, n), (y, s) => ReduceReference.SumRows<T>(y, s, n), tol * scale, "sum " + at);
                Check(x, rows, n, (y, s) => ReduceKernel.MeanRows<T>(y, s, n), (y, s) => ReduceReference.MeanRows<T>(y, s, n), tol * scale, "mean " + at);
                foreach (int correction in new[] { 0, 1 })
                {
                    T[] v1 = new T[rows], m1 = new T[rows], v2 = new T[rows], m2 = new T[rows];
                    ReduceKernel.VarRows<T>(v1, m1, x, n, correction);
                    ReduceReference.VarRows<T>(v2, m2, x, n, correction);
                    AssertClose<T>(m2, m1, tol * scale, 0, "var mean " + at);
                    AssertClose<T>(v2, v1, 0, 10 * tol, $"var correction={correction} " + at);
                }
                if (n == 0) continue;
                foreach (bool min in new[] { false, true })
                {
                    T[] a = new T[rows], b = new T[rows];
                    long[] ia = new long[rows], ib = new long[rows];
                    ReduceKernel.MaxRows<T>(a, ia, x, n, min);
                    ReduceReference.MaxRows<T>(b, ib, x, n, min);
                    Assert.Equal(ib, ia);
                    Assert.Equal(b, a);
                }
            }
    }

    static void Check<T>(T[] x, int rows, int n, SpanAction<T> fast, SpanAction<T> reference, double atol, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] a = new T[rows], b = new T[rows];
        fast(a, x);
        reference(b, x);
        AssertClose<T>(b, a, atol, 0, what);
    }

    delegate void SpanAction<T>(Span<T> y, ReadOnlySpan<T> x);

    [Fact]
    public void MaxFollowsTorchTieNaNAndSignedZeroRules()
    {
        foreach (var (row, max, min) in new (float[], long, long)[]
        {
            ([3, 1, 3, 1], 0, 1),                                     // first occurrence wins ties
            ([1, float.NaN, 5, float.NaN], 1, 1),                    // the first NaN wins both ways
            ([-0f, 0f], 0, 0),                                       // -0 == +0: the earlier one
            ([float.NegativeInfinity, float.NegativeInfinity], 0, 0),
            ([2, float.PositiveInfinity, float.NegativeInfinity], 1, 2),
        })
            foreach (bool isMin in new[] { false, true })
            {
                long expected = isMin ? min : max;
                var big = new float[300]; // the same pattern past a vector width and a block: fast must equal reference
                Array.Fill(big, isMin ? float.MaxValue : float.MinValue);
                row.CopyTo(big, 290);
                foreach (var (x, offset) in new[] { (row, 0), (big, 290) })
                {
                    float[] v = new float[1], vr = new float[1];
                    long[] i = new long[1], ir = new long[1];
                    ReduceKernel.MaxRows<float>(v, i, x, x.Length, isMin);
                    ReduceReference.MaxRows<float>(vr, ir, x, x.Length, isMin);
                    if (offset == 0) Assert.Equal(expected, i[0]);
                    Assert.Equal(ir[0], i[0]);
                    Assert.Equal(BitConverter.SingleToInt32Bits(x[i[0]]), BitConverter.SingleToInt32Bits(v[0]));
                }
            }
    }

    [Fact]
    public void NaNAndInfinityPropagateThroughSums()
    {
        float[] y = new float[2];
        ReduceKernel.SumRows<float>(y, [1, float.NaN, 2, float.PositiveInfinity, 1, 1], 3);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(float.PositiveInfinity, y[1]);
        float[] v = new float[1], m = new float[1];
        ReduceKernel.VarRows<float>(v, m, [float.PositiveInfinity, 1], 2, 1);
        Assert.True(float.IsNaN(v[0]));
        ReduceKernel.VarRows<float>(v, m, [], 0, 1);
        Assert.True(float.IsNaN(v[0]) && float.IsNaN(m[0]));
        ReduceKernel.VarRows<float>(v, m, [1, 2], 2, 3);              // N − correction < 0: divide by 0 like torch
        Assert.Equal(float.PositiveInfinity, v[0]);
    }

    [Fact]
    public void LongFloatSumsStayAccurate()
    {
        // 10⁶ × 0.1f summed one by one in float drifts by ~1%; blocked double accumulation stays within float rounding.
        var x = new float[1_000_000];
        Array.Fill(x, 0.1f);
        float[] y = new float[1];
        ReduceKernel.SumRows<float>(y, x, x.Length);
        double exact = 1_000_000 * (double)0.1f;
        Assert.InRange(Math.Abs(y[0] - exact) / exact, 0, 1e-6);
    }
}
