using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// ReLU's gradient in one pass, PyTorch's threshold_backward at 0: dx = y ≤ 0 ? 0 : dy, with y the saved output.
/// A select, not a product, so dx is exactly 0 where the unit was off even when dy is ±Inf or NaN, and dy passes
/// where y is NaN (NaN ≤ 0 is false). Chunks of the span are shared over the thread team.
/// </summary>
internal static class ReluBackwardKernel
{
    public static void Apply<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dy.Length != y.Length || dx.Length != y.Length)
            throw new ArgumentException($"relu backward kernel: lengths differ (y {y.Length}, dy {dy.Length}, dx {dx.Length})");
        ChunkedFor.For(y.Length, 1, new Chunk<T>(y, dy, dx));
    }

    readonly ref struct Chunk<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> y = y, dy = dy;
        readonly Span<T> dx = dx;

        public void Run(int start, int end) => ApplyChunk(y[start..end], dy[start..end], dx[start..end]);
    }

    static void ApplyChunk<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && SimdWidth.Current >= 256 && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            ref T yr = ref MemoryMarshal.GetReference(y);
            ref T gr = ref MemoryMarshal.GetReference(dy);
            ref T dr = ref MemoryMarshal.GetReference(dx);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var off = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref yr, (nuint)i), Vector256<T>.Zero);
                Vector256.ConditionalSelect(off, Vector256<T>.Zero, Vector256.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < n; i++) dx[i] = y[i] <= T.Zero ? T.Zero : dy[i];
    }
}
