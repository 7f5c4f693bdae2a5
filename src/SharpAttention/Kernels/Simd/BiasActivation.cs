using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// The epilogue of a fused Linear + activation (Linear → GELU / ReLU in a Transformer MLP): forward turns the GEMM's
/// x·Wᵀ into pre = x·Wᵀ + b in place and writes y = f(pre); backward gives dpre = dy·f′(pre) and accumulates the bias
/// gradient Σ_rows dpre in the same sweep. Each row is added and activated while it sits in L1, so the bias needs no
/// separate pre-fill pass and its gradient no separate column sum. Rows run in parallel; the bias gradient is summed
/// per fixed chunk of rows and the chunks added in order, so results do not depend on the thread count.
/// Reference twin: Reference/BiasActivationReference.cs.
/// </summary>
internal static class BiasActivation
{
    /// <summary>pre (rows, n): in x·Wᵀ, out x·Wᵀ + b; y (rows, n) = f(pre). An empty bias means none.</summary>
    public static void Forward<TOp, T>(Span<T> pre, ReadOnlySpan<T> bias, Span<T> y, int n)
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        ChunkedFor.Each(pre.Length / n, (long)n * 24, new ForwardRows<TOp, T>(pre, bias, y, n));
    }

    /// <summary>dpre = dy·f′(pre), overwritten; dbias (n) += Σ_rows dpre unless empty.</summary>
    public static void Backward<TOp, T>(ReadOnlySpan<T> pre, ReadOnlySpan<T> dy, Span<T> dpre, Span<T> dbias, int n)
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        int rows = pre.Length / n;
        int perChunk = Math.Clamp(16384 / n, 1, 64);
        int chunks = (rows + perChunk - 1) / perChunk;
        T[]? rented = dbias.IsEmpty ? null : ArrayPool<T>.Shared.Rent(chunks * n);
        try
        {
            var partials = rented == null ? default : rented.AsSpan(0, chunks * n);
            partials.Clear();
            ChunkedFor.Each(chunks, (long)perChunk * n * 24, new BackwardChunks<TOp, T>(pre, dy, dpre, partials, n, perChunk));
            for (int c = 0; c < chunks && !dbias.IsEmpty; c++) TensorPrimitives.Add(dbias, partials.Slice(c * n, n), dbias);
        }
        finally
        {
            if (rented != null) ArrayPool<T>.Shared.Return(rented);
        }
    }

    readonly ref struct ForwardRows<TOp, T>(Span<T> pre, ReadOnlySpan<T> bias, Span<T> y, int n) : IRangeBody
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> pre = pre, y = y;
        readonly ReadOnlySpan<T> bias = bias;

        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var p = pre.Slice(r * n, n);
                if (!bias.IsEmpty) TensorPrimitives.Add<T>(p, bias, p);
                Activation.Forward<TOp, T>(p, y.Slice(r * n, n));
            }
        }
    }

    readonly ref struct BackwardChunks<TOp, T>(ReadOnlySpan<T> pre, ReadOnlySpan<T> dy, Span<T> dpre, Span<T> partials, int n, int perChunk)
        : IRangeBody where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> pre = pre, dy = dy;
        readonly Span<T> dpre = dpre, partials = partials;

        public void Run(int start, int end)
        {
            int rows = pre.Length / n;
            for (int c = start; c < end; c++)
                for (int r = c * perChunk; r < Math.Min(rows, (c + 1) * perChunk); r++)
                {
                    var d = dpre.Slice(r * n, n);
                    Activation.Backward<TOp, T>(pre.Slice(r * n, n), dy.Slice(r * n, n), d);
                    if (!partials.IsEmpty) TensorPrimitives.Add<T>(partials.Slice(c * n, n), d, partials.Slice(c * n, n));
                }
        }
    }
}
