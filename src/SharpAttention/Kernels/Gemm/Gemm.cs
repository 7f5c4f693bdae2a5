using System.Numerics;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// General matrix multiply, row-major and BLAS-like: C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ.
/// op(A) is m×k, op(B) is k×n, C is m×n; lda/ldb/ldc are the distances between consecutive stored rows.
/// beta = 0 means C is write-only (NaN already in C does not propagate), as in BLAS; NaN/Inf in A or B always
/// propagate. float32 takes the packed, per-ISA path (GemmF32.cs); other types the generic one (GemmGeneric.cs).
/// Work is split over <see cref="Threads.Count"/> threads, and results are bit-identical for any thread count.
/// Reference twin: Kernels/Reference/ReferenceGemm.cs.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C for one matrix (see the class summary).</summary>
    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda,
                              ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunBatched(transA, transB, 1, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, Threads.Count);

    /// <summary>
    /// <paramref name="batch"/> independent products: matrix i of A, B and C starts at i·strideA, i·strideB,
    /// i·strideC. A stride of 0 reuses one A or B for every product (broadcasting); C matrices must not overlap.
    /// </summary>
    public static void RunBatched<T>(bool transA, bool transB, int batch, int m, int n, int k, T alpha,
                                     ReadOnlySpan<T> a, int lda, int strideA, ReadOnlySpan<T> b, int ldb, int strideB,
                                     T beta, Span<T> c, int ldc, int strideC)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, Threads.Count);

    /// <summary>As the public overload with the work split into <paramref name="parts"/> shares (tests check that
    /// results do not depend on it; at most <see cref="Threads.Count"/> of them run at once).</summary>
    internal static void RunBatched<T>(bool transA, bool transB, int batch, int m, int n, int k, T alpha,
                                       ReadOnlySpan<T> a, int lda, int strideA, ReadOnlySpan<T> b, int ldb, int strideB,
                                       T beta, Span<T> c, int ldc, int strideC, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, batch, m, n, k, a.Length, lda, strideA, b.Length, ldb, strideB, c.Length, ldc, strideC);
        if (batch == 0 || m == 0 || n == 0) return;
        parts = Math.Max(1, parts);
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (k == 0)
                ScaleC(batch, m, n, beta, pc, ldc, strideC);
            else if (typeof(T) == typeof(float))
                GemmF32.Run(transA, transB, batch, m, n, k, float.CreateTruncating(alpha), (float*)pa, lda, strideA,
                            (float*)pb, ldb, strideB, float.CreateTruncating(beta), (float*)pc, ldc, strideC, parts);
            else
                GemmGeneric.Run(transA, transB, batch, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, parts);
        }
    }

    /// <summary>An empty sum (k = 0): C = beta·C, and beta = 0 clears C without reading it.</summary>
    static void ScaleC<T>(int batch, int m, int n, T beta, T* c, int ldc, long strideC) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < batch; i++)
            for (int r = 0; r < m; r++)
            {
                var row = new Span<T>(c + i * strideC + (long)r * ldc, n);
                if (beta == T.Zero) row.Clear();
                else
                    for (int j = 0; j < n; j++) row[j] *= beta;
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
