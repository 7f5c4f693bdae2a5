using System.Numerics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// The generic GEMM path (float64, and any other IEEE type): cache-blocked (k blocks of <see cref="KC"/>, column
/// blocks sized for L2, row blocks of <see cref="MC"/>) around the Vector&lt;T&gt; register tiles in GemmMicro.cs,
/// reading A in place and copying only a transposed B block. Simpler and slower than the packed fp32 path
/// (GemmF32.cs); float64 serves the gradient checks, where exactness matters more than speed. Rows are split over
/// threads on MR boundaries, and every element is accumulated by one thread in the same order whatever the split,
/// so results are bit-identical for any thread count.
/// </summary>
internal static unsafe class GemmGeneric
{
    /// <summary>Depth of one k block: the A and B slices of a block stay in cache while it is consumed.</summary>
    const int KC = 256;

    /// <summary>Rows one thread works through per pass over a B block (A block MC×KC stays in L2).</summary>
    const int MC = 64;

    /// <summary>Target bytes for a KC×NC block of op(B) (sized for L2).</summary>
    const int BBlockBytes = 256 * 1024;

    /// <summary>C = alpha·op(A)·op(B) + beta·C for a batch (arguments as <see cref="Gemm.RunBatched{T}(bool, bool, int, int, int, int, T, ReadOnlySpan{T}, int, int, ReadOnlySpan{T}, int, int, T, Span{T}, int, int)"/>),
    /// validated, with m, n, k &gt; 0, split into at most <paramref name="parts"/> shares.</summary>
    public static void Run<T>(bool transA, bool transB, int batch, int m, int n, int k, T alpha, T* a, int lda, long strideA,
                              T* b, int ldb, long strideB, T beta, T* c, int ldc, long strideC, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new Job<T>(transA, transB, n, k, alpha, beta, (nint)a, lda, (nint)b, ldb, (nint)c, ldc);
        long work = (long)m * n * k;
        // The caller's transposed-B buffer is made on its first call, whichever shares it then runs (as GemmF32 does
        // with its workspace): on a loaded machine the workers can claim every share of a call, so a caller that only
        // got one later would allocate long after warm-up.
        if (transB) _ = TransposedBlock<T>.Get(BlockLength<T>());
        if (parts > 1 && batch >= parts)
        {
            // Whole products per thread: each C matrix is written by exactly one thread.
            ParallelFor.For(batch, work, new BatchBody<T>(job, m, strideA, strideB, strideC));
            return;
        }
        // Row ranges start on multiples of MR, so each row meets the same micro-kernel for any split.
        int groups = (m + GemmMicro.MR - 1) / GemmMicro.MR;
        int shares = Math.Max(1, Math.Min(parts, groups));
        for (int i = 0; i < batch; i++)
            ParallelFor.For(shares, work / shares, new RowsBody<T>(job, m, groups, shares, i * strideA, i * strideB, i * strideC));
    }

    /// <summary>Columns of op(B) per block: whole pairs of vectors within <see cref="BBlockBytes"/>.</summary>
    static int BlockColumns<T>() where T : unmanaged
    {
        int nr = 2 * Vector<T>.Count;
        return Math.Max(nr, BBlockBytes / (KC * sizeof(T)) / nr * nr);
    }

    /// <summary>Elements of a transposed B block (KC × <see cref="BlockColumns{T}"/>), the same for every product.</summary>
    static int BlockLength<T>() where T : unmanaged => KC * BlockColumns<T>();

    readonly struct BatchBody<T>(Job<T> job, int m, long strideA, long strideB, long strideC) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) job.Rows(i * strideA, i * strideB, i * strideC, 0, m);
        }
    }

    /// <summary>Shares [start, end) of one product's rows, in groups of MR.</summary>
    readonly struct RowsBody<T>(Job<T> job, int m, int groups, int shares, long offsetA, long offsetB, long offsetC) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int end)
        {
            int r0 = (int)((long)groups * start / shares) * GemmMicro.MR;
            int r1 = Math.Min(m, (int)((long)groups * end / shares) * GemmMicro.MR);
            if (r0 < r1) job.Rows(offsetA, offsetB, offsetC, r0, r1);
        }
    }

    /// <summary>One product's operands as raw pointers, so worker threads can share them while the spans are pinned.</summary>
    readonly struct Job<T>(bool transA, bool transB, int n, int k, T alpha, T beta,
                           nint a, int lda, nint b, int ldb, nint c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Rows [r0, r1) of the product whose matrices start at the given element offsets.</summary>
        public void Rows(long offsetA, long offsetB, long offsetC, int r0, int r1)
        {
            T* pa = (T*)a + offsetA, pb = (T*)b + offsetB, pc = (T*)c + offsetC;
            // A(i, p) = pa[i·ars + p·aps]: a transposed A is read with swapped strides, never copied.
            int ars = transA ? 1 : lda, aps = transA ? lda : 1;
            int ncMax = BlockColumns<T>();
            T[]? packed = transB ? TransposedBlock<T>.Get(BlockLength<T>()) : null;
            {
                fixed (T* buffer = packed)
                {
                    for (int jc = 0; jc < n; jc += ncMax)
                    {
                        int nc = Math.Min(ncMax, n - jc);
                        for (int p0 = 0; p0 < k; p0 += KC)
                        {
                            int kc = Math.Min(KC, k - p0);
                            T* bp;
                            int ldp;
                            if (transB)
                            {
                                // op(B)[p, j] = B[j, p]: copy the block once into row-major k×n order.
                                for (int j = 0; j < nc; j++)
                                {
                                    T* src = pb + (long)(jc + j) * ldb + p0;
                                    for (int p = 0; p < kc; p++) buffer[p * nc + j] = src[p];
                                }
                                bp = buffer;
                                ldp = nc;
                            }
                            else
                            {
                                bp = pb + (long)p0 * ldb + jc;
                                ldp = ldb;
                            }
                            // The first k block applies beta; later blocks add to what is already in C.
                            var tile = new GemmMicro.Tile<T>(kc, aps, ldp, ldc, alpha, p0 == 0 ? beta : T.One, p0 == 0 && beta == T.Zero);
                            T* ablock = pa + (long)p0 * aps;
                            for (int ic = r0; ic < r1; ic += MC)
                                Block(tile, ablock + (long)ic * ars, ars, bp, pc + (long)ic * ldc + jc, Math.Min(MC, r1 - ic), nc);
                        }
                    }
                }
            }
        }

        /// <summary>C[rows, cols] op= A[rows, kc]·B[kc, cols] for one block, micro-tile by micro-tile; the
        /// column loop is outside so a B micro-panel stays in L1 across all rows of the block.</summary>
        static void Block(in GemmMicro.Tile<T> tile, T* a, int ars, T* b, T* c, int rows, int cols)
        {
            int w = Vector<T>.Count, j = 0;
            for (; j + 2 * w <= cols; j += 2 * w)
            {
                int i = 0;
                for (; i + GemmMicro.MR <= rows; i += GemmMicro.MR) GemmMicro.Rows4Vec2(tile, a + (long)i * ars, ars, b + j, c + (long)i * tile.Ldc + j);
                for (; i < rows; i++) GemmMicro.Rows1Vec2(tile, a + (long)i * ars, b + j, c + (long)i * tile.Ldc + j);
            }
            for (; j + w <= cols; j += w)
            {
                int i = 0;
                for (; i + GemmMicro.MR <= rows; i += GemmMicro.MR) GemmMicro.Rows4Vec1(tile, a + (long)i * ars, ars, b + j, c + (long)i * tile.Ldc + j);
                for (; i < rows; i++) GemmMicro.Rows1Vec1(tile, a + (long)i * ars, b + j, c + (long)i * tile.Ldc + j);
            }
            if (j < cols) GemmMicro.Scalar(tile, a, ars, b + j, c + j, rows, cols - j);
        }
    }
}

/// <summary>One thread's buffer for a transposed B block, allocated at its largest size on the thread's first
/// transposed product: which thread runs which rows changes from call to call, and ArrayPool.Shared can miss when
/// other threads hold its arrays, so either would allocate long after warm-up.</summary>
internal static class TransposedBlock<T> where T : unmanaged
{
    [ThreadStatic] static T[]? buffer;

    public static T[] Get(int length) => buffer is { } b && b.Length >= length ? b : buffer = new T[length];
}
