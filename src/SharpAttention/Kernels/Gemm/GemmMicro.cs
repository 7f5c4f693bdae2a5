using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// Register-blocked Vector&lt;T&gt; micro-kernels for the generic (float64) path, <see cref="GemmGeneric"/>: a tile
/// of C accumulates A(i, p)·B(p, j) over one k block in registers (A broadcast from a scalar, B loaded as
/// Vector&lt;T&gt; along the row), then is written once as
/// C = alpha·acc + beta·C. Every element sums p = 0..kc-1 in order with the same multiply-add, whichever kernel
/// (4 rows or 1 row) covers it, which is what makes results independent of how rows are split over threads.
/// </summary>
internal static unsafe class GemmMicro
{
    /// <summary>Rows per register tile.</summary>
    public const int MR = 4;

    /// <summary>What every micro-kernel call of one k block shares.</summary>
    public readonly struct Tile<T>(int kc, int aps, int ldb, int ldc, T alpha, T beta, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Depth of the k block.</summary>
        public readonly int Kc = kc;
        /// <summary>Step between A(i, p) and A(i, p+1).</summary>
        public readonly int Aps = aps;
        /// <summary>Step between B rows.</summary>
        public readonly int Ldb = ldb;
        public readonly int Ldc = ldc;
        public readonly T Alpha = alpha;
        public readonly T Beta = beta;
        /// <summary>beta = 0 on the first block: C is written without being read.</summary>
        public readonly bool Overwrite = overwrite;
    }

    static readonly bool HardwareFma = Vector.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.IsSupported);

    /// <summary>acc + x·y, fused where the hardware has it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<T> MulAdd<T>(Vector<T> x, Vector<T> y, Vector<T> acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (HardwareFma && typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
        if (HardwareFma && typeof(T) == typeof(double))
            return Vector.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        return x * y + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store<T>(in Tile<T> t, T* c, Vector<T> acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = acc * t.Alpha;
        if (!t.Overwrite) r += t.Beta == T.One ? Vector.Load(c) : Vector.Load(c) * t.Beta;
        r.Store(c);
    }

    /// <summary>4 rows × 2 vectors of C.</summary>
    public static void Rows4Vec2<T>(in Tile<T> t, T* a, int ars, T* b, T* c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;
        T* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int p = 0; p < t.Kc; p++)
        {
            var b0 = Vector.Load(b);
            var b1 = Vector.Load(b + w);
            var x = new Vector<T>(*a0);
            c00 = MulAdd(x, b0, c00);
            c01 = MulAdd(x, b1, c01);
            x = new Vector<T>(*a1);
            c10 = MulAdd(x, b0, c10);
            c11 = MulAdd(x, b1, c11);
            x = new Vector<T>(*a2);
            c20 = MulAdd(x, b0, c20);
            c21 = MulAdd(x, b1, c21);
            x = new Vector<T>(*a3);
            c30 = MulAdd(x, b0, c30);
            c31 = MulAdd(x, b1, c31);
            a0 += t.Aps; a1 += t.Aps; a2 += t.Aps; a3 += t.Aps;
            b += t.Ldb;
        }
        Store(t, c, c00); Store(t, c + w, c01);
        c += t.Ldc;
        Store(t, c, c10); Store(t, c + w, c11);
        c += t.Ldc;
        Store(t, c, c20); Store(t, c + w, c21);
        c += t.Ldc;
        Store(t, c, c30); Store(t, c + w, c31);
    }

    /// <summary>1 row × 2 vectors of C (row tail).</summary>
    public static void Rows1Vec2<T>(in Tile<T> t, T* a, T* b, T* c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default;
        for (int p = 0; p < t.Kc; p++)
        {
            var x = new Vector<T>(*a);
            c00 = MulAdd(x, Vector.Load(b), c00);
            c01 = MulAdd(x, Vector.Load(b + w), c01);
            a += t.Aps;
            b += t.Ldb;
        }
        Store(t, c, c00);
        Store(t, c + w, c01);
    }

    /// <summary>4 rows × 1 vector of C (column tail).</summary>
    public static void Rows4Vec1<T>(in Tile<T> t, T* a, int ars, T* b, T* c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> c0 = default, c1 = default, c2 = default, c3 = default;
        T* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int p = 0; p < t.Kc; p++)
        {
            var b0 = Vector.Load(b);
            c0 = MulAdd(new Vector<T>(*a0), b0, c0);
            c1 = MulAdd(new Vector<T>(*a1), b0, c1);
            c2 = MulAdd(new Vector<T>(*a2), b0, c2);
            c3 = MulAdd(new Vector<T>(*a3), b0, c3);
            a0 += t.Aps; a1 += t.Aps; a2 += t.Aps; a3 += t.Aps;
            b += t.Ldb;
        }
        Store(t, c, c0);
        Store(t, c + t.Ldc, c1);
        Store(t, c + 2 * t.Ldc, c2);
        Store(t, c + 3 * t.Ldc, c3);
    }

    /// <summary>1 row × 1 vector of C.</summary>
    public static void Rows1Vec1<T>(in Tile<T> t, T* a, T* b, T* c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> c0 = default;
        for (int p = 0; p < t.Kc; p++)
        {
            c0 = MulAdd(new Vector<T>(*a), Vector.Load(b), c0);
            a += t.Aps;
            b += t.Ldb;
        }
        Store(t, c, c0);
    }

    /// <summary>The last columns, fewer than one vector: scalar dot products. A row's elements depend only on
    /// the column position, never on the row split, so threads still agree.</summary>
    public static void Scalar<T>(in Tile<T> t, T* a, int ars, T* b, T* c, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            T* ai = a + (long)i * ars;
            T* ci = c + (long)i * t.Ldc;
            for (int j = 0; j < cols; j++)
            {
                T acc = T.Zero;
                T* ap = ai, bp = b + j;
                for (int p = 0; p < t.Kc; p++)
                {
                    acc += *ap * *bp;
                    ap += t.Aps;
                    bp += t.Ldb;
                }
                T r = acc * t.Alpha;
                ci[j] = t.Overwrite ? r : r + (t.Beta == T.One ? ci[j] : ci[j] * t.Beta);
            }
        }
    }
}
