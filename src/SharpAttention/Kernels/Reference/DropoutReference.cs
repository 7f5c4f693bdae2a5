using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive scalar twin of <see cref="Simd.DropoutKernel"/>: y = keep ? x / q : x·0, one element at a time,
/// the mask given as one bool per element.</summary>
internal static class DropoutReference
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> keep, T keepProb, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (keep[i]) y[i] = x[i] / keepProb;
            else y[i] = x[i] * T.Zero;
        }
    }
}
