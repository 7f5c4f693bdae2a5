using System.Numerics;
using SharpAttention.Kernels.Gemm;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Shared forward of matmul-like ops (MatMul, Linear and their backwards): maps tensor views onto
/// <see cref="Gemm"/> calls without autograd. A matrix whose last two strides are swapped (a transposed view,
/// x.T) is passed with the kernel's transpose flag instead of being copied; broadcast batch dims are read with
/// stride 0; batch dims that line up are merged into one strided-batched call.
/// </summary>
internal static class BatchedMatMul
{
    /// <summary>c = a @ b (c += a @ b when <paramref name="accumulate"/>), with a (..., m, k), b (..., k, n) and
    /// c a contiguous (batch..., m, n) whose batch shape is the broadcast of a's and b's.</summary>
    public static void Into(Tensor a, Tensor b, Tensor c, bool accumulate)
    {
        if (c.NumEl == 0) return;
        if (c.DType == DType.Float32) Run<float>(a, b, c, accumulate);
        else Run<double>(a, b, c, accumulate);
    }

    /// <summary>a @ b into a fresh tensor of the broadcast batch shape (no autograd).</summary>
    public static Tensor Compute(Tensor a, Tensor b, ReadOnlySpan<int> batch)
    {
        var shape = new int[batch.Length + 2];
        batch.CopyTo(shape);
        shape[^2] = a.Shape[^2];
        shape[^1] = b.Shape[^1];
        var c = Tensor.Empty(shape, a.DType);
        Into(a, b, c, accumulate: false);
        return c;
    }

    /// <summary>Number of matrices in t's batch dims (all but the last two).</summary>
    public static long BatchCount(Tensor t) => ShapeUtil.NumEl(t.Shape[..^2]);

    static void Run<T>(Tensor a, Tensor b, Tensor c, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = c.Shape[^2], n = c.Shape[^1], k = a.Shape[^1];
        if (k == 0)
        {
            // Empty sums: nothing to add, and a or b has no elements to address.
            if (!accumulate) c.Span<T>().Clear();
            return;
        }
        T beta = accumulate ? T.One : T.Zero;
        var (ta, lda, ma) = Layout(a);
        var (tb, ldb, mb) = Layout(b);
        var sa = Data<T>(ma);
        var sb = Data<T>(mb);
        var sc = c.Span<T>();
        int nb = c.Dim - 2;

        // One matrix B against consecutive rows of A (x·W, (B,T,C)@(C,D)): a single tall GEMM, the best case.
        if (BatchCount(mb) == 1 && !ta && RowsFold(ma, lda))
        {
            Gemm.Run(false, tb, checked((int)(c.NumEl / n)), n, k, T.One, sa, lda, sb, ldb, beta, sc, n);
            return;
        }

        // Batch dims as (size, stride in a, stride in b, stride in c), broadcast dims read with stride 0.
        Span<(int Size, int A, int B, int C)> dims = stackalloc (int, int, int, int)[Math.Max(nb, 1)];
        int count = 0;
        for (int d = 0; d < nb; d++)
        {
            int size = c.Shape[d];
            if (size == 1) continue;
            dims[count++] = (size, BatchStride(ma, d, nb), BatchStride(mb, d, nb), c.Strides[d]);
        }
        // Merge a dim into the next when all three operands step through both as through one.
        for (int i = count - 2; i >= 0; i--)
        {
            var (o, e) = (dims[i], dims[i + 1]);
            if (o.A == e.A * e.Size && o.B == e.B * e.Size && o.C == e.C * e.Size)
            {
                dims[i] = (o.Size * e.Size, e.A, e.B, e.C);
                dims[(i + 2)..count].CopyTo(dims[(i + 1)..]);
                count--;
            }
        }
        // The innermost remaining dim is one strided-batched call; the outer ones loop around it.
        var inner = count > 0 ? dims[count - 1] : (Size: 1, A: 0, B: 0, C: 0);
        int outer = count - 1;
        Span<int> index = stackalloc int[Math.Max(outer, 1)];
        long outerCount = 1;
        for (int d = 0; d < outer; d++) outerCount *= dims[d].Size;
        for (long r = 0; r < outerCount; r++)
        {
            int oa = 0, ob = 0, oc = 0;
            for (int d = 0; d < outer; d++)
            {
                oa += index[d] * dims[d].A;
                ob += index[d] * dims[d].B;
                oc += index[d] * dims[d].C;
            }
            Gemm.RunBatched(ta, tb, inner.Size, m, n, k, T.One, sa[oa..], lda, inner.A, sb[ob..], ldb, inner.B,
                            beta, sc[oc..], n, inner.C);
            for (int d = outer - 1; d >= 0 && ++index[d] == dims[d].Size; d--) index[d] = 0;
        }
    }

    /// <summary>How the kernel reads t's matrices: row-major with leading dimension ld, or (trans) column-major,
    /// i.e. the stored matrix is the transpose. Views that are neither (expanded or stepped rows) are copied.</summary>
    static (bool Trans, int Ld, Tensor Matrix) Layout(Tensor t)
    {
        int r = t.Shape[^2], cols = t.Shape[^1], sr = t.Strides[^2], sc = t.Strides[^1];
        if (r == 0 || cols == 0) return (false, Math.Max(1, cols), t);
        if ((cols == 1 || sc == 1) && (r == 1 || sr >= cols)) return (false, r == 1 ? cols : sr, t);
        if ((r == 1 || sr == 1) && (cols == 1 || sc >= r)) return (true, cols == 1 ? r : sc, t);
        return (false, cols, t.Detach().Contiguous());
    }

    /// <summary>t's elements from its first one to the end of its storage (all its strides stay inside).</summary>
    static ReadOnlySpan<T> Data<T>(Tensor t) => t.NumEl == 0 ? default : t.Storage.As<T>().AsSpan(t.Offset);

    /// <summary>Stride of output batch dim d in t, or 0 where t broadcasts (missing or size-1 dim).</summary>
    static int BatchStride(Tensor t, int d, int nb)
    {
        int td = d - (nb - (t.Dim - 2));
        return td < 0 || t.Shape[td] == 1 ? 0 : t.Strides[td];
    }

    /// <summary>Whether every row of every matrix of a row-major t is ld apart from the previous one, so the
    /// batch can be read as one (batch·m)×k matrix.</summary>
    static bool RowsFold(Tensor t, int ld)
    {
        long expected = (long)ld * t.Shape[^2];
        for (int d = t.Dim - 3; d >= 0; d--)
        {
            if (t.Shape[d] == 1) continue;
            if (t.Strides[d] != expected) return false;
            expected *= t.Shape[d];
        }
        return t.Shape[^2] == 1 || t.Strides[^2] == ld;
    }
}
