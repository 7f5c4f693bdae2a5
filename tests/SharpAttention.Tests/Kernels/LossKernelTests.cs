using System.Numerics;
using SharpAttention.Kernels.Losses;
using SharpAttention.Kernels.Reference;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

[Collection(GlobalKernelStateCollection.Name)]
public class LossKernelTests
{
    const long Ignore = -100;

    static T[] Random<T>(int n, double scale, int seed) where T : IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => T.CreateChecked((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    static long[] Targets(int rows, int classes, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, rows).Select(r => r % 4 == 3 ? Ignore : rng.Next(classes)).ToArray();
    }

    static void Close<T>(T[] expected, T[] actual, double tol, string what) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            bool ok = double.IsNaN(e) ? double.IsNaN(a) : e == a || Math.Abs(e - a) <= tol * Math.Max(1, Math.Abs(e));
            Assert.True(ok, $"{what} [{i}]: reference {e:R}, fast {a:R}");
        }
    }

    /// <summary>Runs fast and reference forward + backward on the same data and compares loss, lse and gradient.</summary>
    static void Compare<T>(T[] logits, int rows, int classes, long[] target, T[] weight, T smoothing, double tol, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loss = new T[rows];
        var lse = new T[rows];
        var refLoss = new T[rows];
        var refLse = new T[rows];
        CrossEntropyKernel.Forward<T>(logits, classes, target, Ignore, weight, smoothing, loss, lse);
        LossReference.CrossEntropyForward<T>(logits, classes, target, Ignore, weight, smoothing, refLoss, refLse);
        Close(refLoss, loss, tol, what + " loss");
        Close(refLse, lse, tol, what + " lse");

        var grad = Random<T>(rows, 1, rows + classes);
        var d = new T[rows * classes];
        var refD = new T[rows * classes];
        CrossEntropyKernel.Backward<T>(logits, classes, target, Ignore, weight, smoothing, lse, grad, d);
        LossReference.CrossEntropyBackward<T>(logits, classes, target, Ignore, weight, smoothing, grad, refD);
        Close(refD, d, tol, what + " grad");
    }

    static void CompareAllShapes<T>(double scale, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int rows in new[] { 1, 3, 7 })
            for (int classes = 1; classes <= 257; classes++)
            {
                var logits = Random<T>(rows * classes, scale, classes * 31 + rows);
                var target = Targets(rows, classes, classes);
                var weight = Random<T>(classes, 1, classes).Select(w => T.Abs(w) + T.CreateChecked(0.1)).ToArray();
                string what = $"{typeof(T).Name} rows={rows} classes={classes}";
                Compare(logits, rows, classes, target, [], T.Zero, tol, what);
                Compare(logits, rows, classes, target, weight, T.CreateChecked(0.1), tol, what + " weighted smoothed");
            }
    }

    [Fact]
    public void CrossEntropyFastMatchesReferenceFloat64() => KernelPaths.ForEachWidth(_ => CompareAllShapes<double>(5, 1e-12));

    [Fact]
    public void CrossEntropyFastMatchesReferenceFloat32() => KernelPaths.ForEachWidth(_ => CompareAllShapes<float>(5, 2e-5));

    [Fact]
    public void CrossEntropyHugeLogitsStayFinite()
    {
        foreach (int classes in new[] { 1, 2, 7, 64, 257 })
        {
            const int rows = 5;
            var logits = Enumerable.Range(0, rows * classes).Select(i => i % 3 == 0 ? 1000f : i % 3 == 1 ? -1000f : 0f).ToArray();
            var target = Enumerable.Range(0, rows).Select(r => (long)(r * 7 % classes)).ToArray();
            var loss = new float[rows];
            var lse = new float[rows];
            CrossEntropyKernel.Forward<float>(logits, classes, target, Ignore, [], 0.2f, loss, lse);
            Assert.All(loss, v => Assert.True(float.IsFinite(v) && v >= 0, $"loss {v} for {classes} classes"));
            Compare(logits, rows, classes, target, [], 0.2f, 1e-5, $"±1000 classes={classes}");
        }
    }

    [Fact]
    public void CrossEntropyNaNAndInfinityPropagate()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
            for (int classes = 1; classes <= 40; classes++)
            {
                var logits = Random<float>(3 * classes, 2, classes);
                logits[classes + classes / 2] = bad;      // row 1 only
                long[] target = [0, classes - 1, Ignore];
                var loss = new float[3];
                var lse = new float[3];
                CrossEntropyKernel.Forward<float>(logits, classes, target, Ignore, [], 0f, loss, lse);
                Assert.True(float.IsFinite(loss[0]));
                Assert.Equal(0f, loss[2]);
                var d = new float[3 * classes];
                CrossEntropyKernel.Backward<float>(logits, classes, target, Ignore, [], 0f, lse, [1f], d);
                if (float.IsNaN(bad))
                {
                    Assert.True(float.IsNaN(loss[1]), $"classes={classes}: loss {loss[1]}");
                    Assert.All(d.AsSpan(classes, classes).ToArray(), v => Assert.True(float.IsNaN(v)));
                }
                else
                    // +Inf logit: lse = +Inf and max − Inf is NaN, as PyTorch's log_softmax gives
                    Assert.True(float.IsNaN(loss[1]) || float.IsPositiveInfinity(loss[1]), $"classes={classes}: loss {loss[1]}");
                Assert.All(d.AsSpan(0, classes).ToArray(), v => Assert.True(float.IsFinite(v)));
                Assert.All(d.AsSpan(2 * classes, classes).ToArray(), v => Assert.Equal(0f, v));
            }
    }

    [Fact]
    public void BceWithLogitsFastMatchesReference()
    {
        for (int n = 0; n <= 257; n++)
        {
            var x = Random<double>(n, 30, n);
            var t = Random<double>(n, 1, n + 1000).Select(Math.Abs).ToArray();
            var g = Random<double>(n, 1, n + 2000);
            Check(x, t, g, 1e-12, $"float64 n={n}");
            Check(Array.ConvertAll(x, v => (float)v), Array.ConvertAll(t, v => (float)v), Array.ConvertAll(g, v => (float)v), 1e-5, $"float32 n={n}");
        }
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1000, -1000, 0];
        Check(specials, [0.5f, 0, 1, 0, 1, 0.5f], [1, 1, 1, 1, 1, 1], 1e-6, "specials");
    }

    static void Check<T>(T[] x, T[] t, T[] g, double tol, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        T[] loss = new T[n], refLoss = new T[n], dx = new T[n], dt = new T[n], refDx = new T[n], refDt = new T[n];
        BceWithLogitsKernel.Forward<T>(x, t, loss);
        BceWithLogitsKernel.Backward<T>(x, t, g, dx, dt);
        LossReference.BceWithLogitsForward<T>(x, t, refLoss);
        LossReference.BceWithLogitsBackward<T>(x, t, g, refDx, refDt);
        Close(refLoss, loss, tol, what + " loss");
        Close(refDx, dx, tol, what + " dx");
        Close(refDt, dt, tol, what + " dt");
    }
}
