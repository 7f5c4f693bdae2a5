using System.Numerics;
using SharpAttention.Kernels.Reference;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Kernels.RowKernelTestUtil;

namespace SharpAttention.Tests.Kernels;

/// <summary>The fused bias + activation epilogue against its naive twin: every row length 0..257, odd row counts,
/// with and without a bias, on every SIMD path, plus NaN/∞ propagation.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class BiasActivationKernelTests
{
    public static TheoryData<string> Ops => new() { "gelu", "gelu_tanh", "relu" };

    [Theory]
    [MemberData(nameof(Ops))]
    public void MatchesReferenceOnAllLengthsAndWidths(string op) => KernelPaths.ForEachWidth(width =>
    {
        Compare<float>(op, 2e-6, width);
        // Float64 activations are scalar at every width: once is enough.
        if (width == KernelPaths.Widths[0]) Compare<double>(op, 1e-12, width);
    });

    static void Compare<T>(string op, double tol, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new Generator(31);
        var (f, fPrime) = Functions(op);
        foreach (int rows in RowCounts)
            foreach (int n in Lengths)
                foreach (bool withBias in new[] { true, false })
                {
                    var h = Normal<T>(g, rows * n, std: 3);
                    var bias = withBias ? Normal<T>(g, n) : [];
                    var dy = Normal<T>(g, rows * n);
                    string at = $"{op} rows={rows} n={n} bias={withBias} width={width}";
                    T[] pre = (T[])h.Clone(), preRef = (T[])h.Clone(), y = new T[h.Length], yRef = new T[h.Length];
                    Forward<T>(op, pre, bias, y, n);
                    BiasActivationReference.Forward<T>(preRef, bias, yRef, n, f);
                    AssertClose<T>(preRef, pre, 0, 0, "pre " + at);
                    AssertClose<T>(yRef, y, tol, tol, "y " + at);

                    T[] dpre = new T[h.Length], dpreRef = new T[h.Length], db = new T[bias.Length], dbRef = new T[bias.Length];
                    Backward<T>(op, preRef, dy, dpre, db, n);
                    BiasActivationReference.Backward<T>(preRef, dy, dpreRef, dbRef, n, fPrime);
                    AssertClose<T>(dpreRef, dpre, tol, tol, "dpre " + at);
                    AssertClose<T>(dbRef, db, 4 * tol, 4 * tol, "dbias " + at);
                }
    }

    [Fact]
    public void NaNAndInfinityPropagate() => KernelPaths.ForEachWidth(width =>
    {
        float[] pre = [float.NaN, 1, float.PositiveInfinity, -2, 3, float.NegativeInfinity], y = new float[6];
        BiasActivation.Forward<GeluOp, float>(pre, [0, 0, 0], y, 3);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(float.PositiveInfinity, y[2]);
        Assert.True(float.IsNaN(y[5]));   // −∞·Φ(−∞) = −∞·0, as torch
        var db = new float[3];
        var dpre = new float[6];
        BiasActivation.Backward<ReluActivationOp, float>([float.NaN, 1, -1, 2, 3, 0], [1, 1, 1, 1, float.NaN, 1], dpre, db, 3);
        // torch's threshold_backward: dy passes where the pre-activation is NaN (relu(NaN) = NaN is not ≤ 0).
        Assert.Equal(new float[] { 1, 1, 0, 1, float.NaN, 0 }, dpre);
        Assert.Equal(new float[] { 2, float.NaN, 0 }, db);   // the NaN reaches its own column's bias only
    });

    static (Func<double, double>, Func<double, double>) Functions(string op) => op switch
    {
        "gelu" => (PointwiseReference.Gelu, PointwiseReference.GeluGrad),
        "gelu_tanh" => (PointwiseReference.GeluTanh, PointwiseReference.GeluTanhGrad),
        _ => (PointwiseReference.Relu, PointwiseReference.ReluGrad),
    };

    static void Forward<T>(string op, T[] pre, T[] bias, T[] y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (op == "gelu") BiasActivation.Forward<GeluOp, T>(pre, bias, y, n);
        else if (op == "gelu_tanh") BiasActivation.Forward<GeluTanhOp, T>(pre, bias, y, n);
        else BiasActivation.Forward<ReluActivationOp, T>(pre, bias, y, n);
    }

    static void Backward<T>(string op, T[] pre, T[] dy, T[] dpre, T[] db, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (op == "gelu") BiasActivation.Backward<GeluOp, T>(pre, dy, dpre, db, n);
        else if (op == "gelu_tanh") BiasActivation.Backward<GeluTanhOp, T>(pre, dy, dpre, db, n);
        else BiasActivation.Backward<ReluActivationOp, T>(pre, dy, dpre, db, n);
    }
}
