using System.Numerics;
using System.Numerics.Tensors;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// Index-driven copies and their adjoint accumulations: gather / scatter-add along one dim (torch.gather) and
/// whole-slice selection / index-add (torch.index_select, embedding lookup). Indices are validated by the caller
/// (<see cref="FirstOutOfRange"/>); accumulation runs in index order, so repeated indices sum deterministically.
/// </summary>
internal static class Indexing
{
    /// <summary>Position of the first index outside [0, size), or -1 when all are valid.</summary>
    public static int FirstOutOfRange(ReadOnlySpan<long> index, long size)
    {
        for (int i = 0; i < index.Length; i++)
            if ((ulong)index[i] >= (ulong)size) return i;
        return -1;
    }

    /// <summary>dst[p] = src at position p with coordinate <paramref name="dim"/> replaced by index[p], for every
    /// row-major position p of <paramref name="shape"/> (the index's shape); src is strided.</summary>
    public static void Gather<T>(ReadOnlySpan<T> src, int srcOffset, ReadOnlySpan<int> srcStrides,
                                 ReadOnlySpan<long> index, ReadOnlySpan<int> shape, int dim, Span<T> dst)
    {
        Span<int> position = stackalloc int[shape.Length];
        int offset = srcOffset, step = srcStrides[dim];
        for (int p = 0; p < index.Length; p++)
        {
            dst[p] = src[offset + (int)index[p] * step];
            offset = Next(position, shape, srcStrides, dim, offset);
        }
    }

    /// <summary>The adjoint of <see cref="Gather{T}"/>: dst at (position of p with coordinate dim = index[p]) += src[p];
    /// dst is laid out with <paramref name="dstStrides"/>.</summary>
    public static void ScatterAdd<T>(ReadOnlySpan<T> src, ReadOnlySpan<long> index, ReadOnlySpan<int> shape, int dim,
                                     Span<T> dst, ReadOnlySpan<int> dstStrides) where T : INumberBase<T>
    {
        Span<int> position = stackalloc int[shape.Length];
        int offset = 0, step = dstStrides[dim];
        for (int p = 0; p < index.Length; p++)
        {
            dst[offset + (int)index[p] * step] += src[p];
            offset = Next(position, shape, dstStrides, dim, offset);
        }
    }

    /// <summary>Steps a row-major position one element on, updating an offset that ignores coordinate <paramref name="dim"/>.</summary>
    static int Next(Span<int> position, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int dim, int offset)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int stride = d == dim ? 0 : strides[d];
            if (++position[d] < shape[d]) return offset + stride;
            offset -= stride * (shape[d] - 1);
            position[d] = 0;
        }
        return offset;
    }

    /// <summary>src viewed as (outer, size, inner) and dst as (outer, index.Length, inner):
    /// dst[o, i, :] = src[o, index[i], :]. Output rows are independent and shared over the thread team.</summary>
    public static void SelectRows<T>(ReadOnlySpan<T> src, int outer, int size, int inner, ReadOnlySpan<long> index, Span<T> dst) =>
        ParallelFor.For(outer * index.Length, inner, new SelectBody<T>(src, size, inner, index, dst));

    readonly ref struct SelectBody<T>(ReadOnlySpan<T> src, int size, int inner, ReadOnlySpan<long> index, Span<T> dst) : IRangeBody
    {
        readonly ReadOnlySpan<T> src = src;
        readonly ReadOnlySpan<long> index = index;
        readonly Span<T> dst = dst;

        public void Run(int start, int end)
        {
            int n = index.Length;
            for (int row = start; row < end; row++)
            {
                int o = row / n, i = row % n;
                src.Slice((o * size + (int)index[i]) * inner, inner).CopyTo(dst.Slice(row * inner, inner));
            }
        }
    }

    /// <summary>The adjoint of <see cref="SelectRows{T}"/>: dst[o, index[i], :] += src[o, i, :], skipping rows whose
    /// index equals <paramref name="skip"/> (embedding's padding_idx; -1 skips nothing). Repeated indices add into
    /// one row, so the work is split by columns instead: every column still sums its rows in index order, and the
    /// result is the same for any thread count.</summary>
    public static void AddRows<T>(ReadOnlySpan<T> src, int outer, int size, int inner, ReadOnlySpan<long> index, Span<T> dst, long skip = -1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelFor.For((inner + AddColumns - 1) / AddColumns, (long)outer * index.Length * AddColumns,
                        new AddBody<T>(src, outer, size, inner, index, dst, skip));

    /// <summary>Columns per work item of <see cref="AddRows{T}"/>: a cache line of floats or more.</summary>
    const int AddColumns = 32;

    readonly ref struct AddBody<T>(ReadOnlySpan<T> src, int outer, int size, int inner, ReadOnlySpan<long> index, Span<T> dst, long skip)
        : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> src = src;
        readonly ReadOnlySpan<long> index = index;
        readonly Span<T> dst = dst;

        public void Run(int start, int end)
        {
            int c0 = start * AddColumns, width = Math.Min(inner, end * AddColumns) - c0;
            int n = index.Length;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < n; i++)
                {
                    if (index[i] == skip) continue;
                    var row = dst.Slice((o * size + (int)index[i]) * inner + c0, width);
                    TensorPrimitives.Add(row, src.Slice((o * n + i) * inner + c0, width), row);
                }
        }
    }
}
