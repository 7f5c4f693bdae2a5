using System.Buffers;
using System.Numerics;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// General matrix multiply, row-major and BLAS-like: C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ.
/// op(A) is m×k, op(B) is k×n, C is m×n; lda/ldb/ldc are the distances between consecutive stored rows.
/// beta = 0 means C is write-only (NaN already in C does not propagate), as in BLAS; NaN/Inf in A or B always
/// propagate. Cache-blocked (k blocks of <see cref="KC"/>, column blocks sized for L2, row blocks for a
/// thread) around the register-blocked micro-kernels in GemmMicro.cs. Large problems split rows over threads;
/// every element is accumulated by one thread in the same order whatever the thread count, so results are
/// bit-identical for any number of threads. Reference twin: Kernels/Reference/ReferenceGemm.cs.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>Depth of one k block: the A and B slices of a block stay in cache while it is consumed.</summary>
    const int KC = 256;

    /// <summary>Rows one thread works through per pass over a B block (A block MC×KC stays in L2).</summary>
    const int MC = 64;

    /// <summary>Target bytes for a KC×NC block of op(B) (sized for L2).</summary>
    const int BBlockBytes = 256 * 1024;

    /// <summary>Below this many multiply-adds, starting threads costs more than it saves.</summary>
    const long ParallelWork = 1L << 18;

    /// <summary>C = alpha·op(A)·op(B) + beta·C for one matrix (see the class summary).</summary>
    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda,
                              ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunBatched(transA, transB, 1, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, Environment.ProcessorCount);

    /// <summary>
    /// <paramref name="batch"/> independent products: matrix i of A, B and C starts at i·strideA, i·strideB,
    /// i·strideC. A stride of 0 reuses one A or B for every product (broadcasting); C matrices must not overlap.
    /// </summary>
    public static void RunBatched<T>(bool transA, bool transB, int batch, int m, int n, int k, T alpha,
                                     ReadOnlySpan<T> a, int lda, int strideA, ReadOnlySpan<T> b, int ldb, int strideB,
                                     T beta, Span<T> c, int ldc, int strideC)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
                   Environment.ProcessorCount);

    /// <summary>As the public overload with an explicit thread count (tests check results do not depend on it).</summary>
    internal static void RunBatched<T>(bool transA, bool transB, int batch, int m, int n, int k, T alpha,
                                       ReadOnlySpan<T> a, int lda, int strideA, ReadOnlySpan<T> b, int ldb, int strideB,
                                       T beta, Span<T> c, int ldc, int strideC, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, batch, m, n, k, a.Length, lda, strideA, b.Length, ldb, strideB, c.Length, ldc, strideC);
        if (batch == 0 || m == 0 || n == 0) return;
        fixed (T* pa = a, pb = b, pc = c)
        {
            var job = new Job<T>(transA, transB, n, k, alpha, beta, (nint)pa, lda, (nint)pb, ldb, (nint)pc, ldc);
            long work = (long)m * n * Math.Max(k, 1);
            bool parallel = threads > 1 && work * batch >= ParallelWork;
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            if (parallel && batch >= threads)
            {
                // Whole products per thread: each C matrix is written by exactly one thread.
                Parallel.For(0, batch, options, i => job.Rows((long)i * strideA, (long)i * strideB, (long)i * strideC, 0, m));
                return;
            }
            for (int i = 0; i < batch; i++)
            {
                long oa = (long)i * strideA, ob = (long)i * strideB, oc = (long)i * strideC;
                int tasks = parallel && work >= ParallelWork ? Math.Min(threads, (m + GemmMicro.MR - 1) / GemmMicro.MR) : 1;
                if (tasks <= 1)
                {
                    job.Rows(oa, ob, oc, 0, m);
                    continue;
                }
                // Row ranges start on multiples of MR, so each row meets the same micro-kernel for any split.
                int groups = (m + GemmMicro.MR - 1) / GemmMicro.MR;
                Parallel.For(0, tasks, options, t =>
                {
                    int r0 = (int)((long)groups * t / tasks) * GemmMicro.MR;
                    int r1 = Math.Min(m, (int)((long)groups * (t + 1) / tasks) * GemmMicro.MR);
                    job.Rows(oa, ob, oc, r0, r1);
                });
            }
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
            if (k == 0)
            {
                // Empty sum: C = beta·C, and beta = 0 still clears C.
                for (int i = r0; i < r1; i++)
                    for (int j = 0; j < n; j++) pc[(long)i * ldc + j] = beta == T.Zero ? T.Zero : beta * pc[(long)i * ldc + j];
                return;
            }
            // A(i, p) = pa[i·ars + p·aps]: a transposed A is read with swapped strides, never copied.
            int ars = transA ? 1 : lda, aps = transA ? lda : 1;
            int nr = 2 * Vector<T>.Count;
            int ncMax = Math.Max(nr, BBlockBytes / (KC * sizeof(T)) / nr * nr);
            T[]? packed = transB ? ArrayPool<T>.Shared.Rent(KC * Math.Min(ncMax, n)) : null;
            try
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
            finally
            {
                if (packed != null) ArrayPool<T>.Shared.Return(packed);
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

    /// <summary>Checks dimensions, leading dimensions and that every addressed element lies inside its span.</summary>
    static void Validate(bool transA, bool transB, int batch, int m, int n, int k, int aLength, int lda, int strideA,
                         int bLength, int ldb, int strideB, int cLength, int ldc, int strideC)
    {
        if (batch < 0 || m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"gemm: negative size batch={batch} m={m} n={n} k={k}");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentException($"gemm: negative batch stride ({strideA}, {strideB}, {strideC})");
        CheckOperand("A", transA ? k : m, transA ? m : k, lda, aLength, batch, strideA);
        CheckOperand("B", transB ? n : k, transB ? k : n, ldb, bLength, batch, strideB);
        CheckOperand("C", m, n, ldc, cLength, batch, strideC);
        if (batch > 1 && m > 0 && n > 0 && strideC < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"gemm: C batch stride {strideC} makes {m}x{n} products (ldc {ldc}) overlap");
    }

    static void CheckOperand(string name, int rows, int cols, int ld, int length, int batch, int stride)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"gemm: leading dimension of {name} is {ld}, less than its {cols} stored columns");
        if (batch == 0 || rows == 0 || cols == 0) return;
        long last = (long)(batch - 1) * stride + (long)(rows - 1) * ld + cols;
        if (last > length)
            throw new ArgumentException($"gemm: {name} needs {last} elements ({batch} of {rows}x{cols}, ld {ld}, stride {stride}) but has {length}");
    }
}
