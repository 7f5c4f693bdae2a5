using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpAttention.Kernels.Simd;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// One fp32 register-blocked micro-kernel (BLIS's "microkernel"): for a packed A micro-panel (kc × MR, MR values
/// per k step) and a packed B micro-panel (kc × NR, NR values per k step) it computes the MR×NR tile
/// C = alpha·Σ_p a[p·MR + i]·b[p·NR + j] + beta·C, summing p = 0..kc-1 in order with one fused multiply-add per
/// term. With <c>overwrite</c> C is written without being read (BLAS's beta = 0: NaN in C is dropped).
/// Implementations are structs so the driver, generic over them, is compiled once per kernel with MR/NR constant.
/// </summary>
internal unsafe interface IGemmKernel
{
    /// <summary>Rows of C per tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C per tile.</summary>
    static abstract int NR { get; }

    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, bool overwrite);

    /// <summary>Transposing pack of one full panel, dst[p·w + e] = src[e·stepE + p] for p &lt; kc, e &lt; w, where w
    /// is even (see <see cref="GemmPack"/>). Kernels with wide shuffles override the portable loop.</summary>
    static virtual void PackTransposed(float* src, nint stepE, int kc, int w, float* dst) =>
        GemmPack.Transpose(src, stepE, kc, w, w, dst);
}

/// <summary>The instruction-set paths the fp32 GEMM has, narrowest first.</summary>
internal enum GemmIsa
{
    /// <summary>4×4 tiles of scalar multiply-adds (<see cref="GemmKernelScalar"/>), runs anywhere.</summary>
    Scalar,
    /// <summary>6×8 tiles of Vector128 (SSE / ARM AdvSimd), <see cref="GemmKernelVector128"/>.</summary>
    Vector128,
    /// <summary>6×16 tiles of AVX2 + FMA, <see cref="GemmKernelAvx2"/>.</summary>
    Avx2,
    /// <summary>12×32 tiles of AVX-512, <see cref="GemmKernelAvx512"/>.</summary>
    Avx512,
}

/// <summary>Which path the fp32 GEMM takes: the widest the CPU runs, chosen once at start-up; tests narrow it.</summary>
internal static class GemmIsaSelect
{
    /// <summary>The widest path this machine supports.</summary>
    public static readonly GemmIsa Best =
        Avx512F.IsSupported ? GemmIsa.Avx512 :
        Avx2.IsSupported && Fma.IsSupported ? GemmIsa.Avx2 :
        Vector128.IsHardwareAccelerated ? GemmIsa.Vector128 :
        GemmIsa.Scalar;

    /// <summary>Test-only override for calls made from this thread (the workers it drives follow it), so forcing
    /// a narrow path in one test never changes the results of another test running at the same time.</summary>
    [ThreadStatic] static GemmIsa? forced;

    /// <summary>The path a call from this thread takes: the forced one, else <see cref="Best"/> capped at
    /// <see cref="SimdWidth.Current"/> (so lowering the SIMD width for a test narrows the GEMM with everything else).</summary>
    public static GemmIsa Current => forced ?? (GemmIsa)Math.Min((int)Best, (int)ForWidth(SimdWidth.Current));

    static GemmIsa ForWidth(int bits) => bits switch
    {
        >= 512 => GemmIsa.Avx512,
        256 => GemmIsa.Avx2,
        128 => GemmIsa.Vector128,
        _ => GemmIsa.Scalar,
    };

    /// <summary>Whether this machine can run <paramref name="isa"/>.</summary>
    public static bool CanRun(GemmIsa isa) => isa <= Best;

    /// <summary>Makes calls from this thread take <paramref name="isa"/> (null: back to <see cref="Best"/>).</summary>
    public static void Force(GemmIsa? isa)
    {
        if (isa is { } i && !CanRun(i)) throw new PlatformNotSupportedException($"gemm: this CPU cannot run the {i} path");
        forced = isa;
    }
}
