using System.Numerics;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Kernels;

/// <summary>Data and comparisons for the fast-vs-reference row kernel tests.</summary>
internal static class RowKernelTestUtil
{
    /// <summary>Every row length the kernels are compared on: 0..257 covers empty rows, every SIMD tail and more
    /// than one 256-element accumulation block.</summary>
    public static IEnumerable<int> Lengths => Enumerable.Range(0, 258);

    /// <summary>Odd row counts (prime and 1) so nothing lines up by accident.</summary>
    public static readonly int[] RowCounts = [1, 3, 7];

    public static T[] Normal<T>(Generator g, int count, double mean = 0, double std = 1) where T : IFloatingPointIeee754<T>
    {
        var a = new T[count];
        for (int i = 0; i < count; i++) a[i] = T.CreateTruncating(mean + std * g.NextNormal());
        return a;
    }

    /// <summary>Asserts |expected − actual| ≤ atol + rtol·|expected| elementwise; NaN must meet NaN and an infinity
    /// the same infinity.</summary>
    public static void AssertClose<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double atol, double rtol, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[i]);
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? e == a
                : Math.Abs(e - a) <= atol + rtol * Math.Abs(e);
            if (!ok) Assert.Fail($"{what} ({typeof(T).Name}) at {i}: expected {e:R}, got {a:R}");
        }
    }
}
