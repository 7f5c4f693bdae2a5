using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// Packing for the fp32 GEMM (BLIS's "pack A / pack B"): copies a kc-deep slice of an operand into contiguous
/// micro-panels laid out as the micro-kernel reads them — w values per k step, k steps one after another — so the
/// kernel streams both operands linearly whatever their stored layout. The same routine packs A (w = MR rows per
/// panel) and B (w = NR columns per panel); a transposed operand only swaps the two strides, so A·Bᵀ and Aᵀ·B
/// never materialise a transpose. Missing rows/columns of an edge panel are zero-filled.
/// </summary>
internal static unsafe class GemmPack
{
    /// <summary>Floats of padding after each panel. Panels of w·kc floats are often a multiple of 4 KiB apart
    /// (12·512·4 bytes = 24 KiB), which maps the same line of every panel to one L1 set: packing 20 panels
    /// side by side then thrashes a 12-way cache. One cache line of padding spreads them over the sets.</summary>
    public const int PanelPad = 16;

    /// <summary>Distance in floats from one packed panel of width w and depth kc to the next.</summary>
    public static int PanelStride(int w, int kc) => w * kc + PanelPad;

    /// <summary>
    /// Packs elements e &lt; count of a kc-deep slice into ⌈count / w⌉ panels of (kc, w), panel q at
    /// dst + q·<see cref="PanelStride"/>:
    /// panel[p·w + e'] = src[p·stepP + (q·w + e')·stepE]. One of the steps is 1 (row-major storage): stepE = 1
    /// copies w-long runs, stepP = 1 transposes (with the kernel's SIMD transpose for full panels).
    /// </summary>
    public static void Block<TK>(float* src, nint stepP, nint stepE, int kc, int count, int w, float* dst) where TK : struct, IGemmKernel
    {
        if (stepE == 1 || count == 1)
        {
            Copy(src, stepP, kc, count, w, dst);
            return;
        }
        for (int e = 0; e < count; e += w, src += w * stepE, dst += PanelStride(w, kc))
        {
            int valid = Math.Min(w, count - e);
            if (valid == w && w % 2 == 0) TK.PackTransposed(src, stepE, kc, w, dst);
            else Transpose(src, stepE, kc, w, valid, dst);
        }
    }

    /// <summary>Each k step's elements are contiguous: k step outermost, so every source row is read once,
    /// front to back, however many panels it feeds (reading panel by panel would stride a page per step).</summary>
    static void Copy(float* src, nint stepP, int kc, int count, int w, float* dst)
    {
        int full = count / w, rest = count - full * w;
        nint panel = PanelStride(w, kc);
        for (int p = 0; p < kc; p++, src += stepP)
        {
            float* d = dst + p * w;
            for (int q = 0; q < full; q++, d += panel) CopyRun(src + q * w, d, w);
            if (rest > 0)
            {
                CopyRun(src + full * w, d, rest);
                for (int e = rest; e < w; e++) d[e] = 0;
            }
        }
    }

    /// <summary>
    /// Portable transposing pack of one panel: dst[p·w + e] = src[e·stepE + p] for p &lt; kc, e &lt; valid, zero for
    /// valid ≤ e &lt; w. Each source is a contiguous run along k; 4 k steps at a time keep the writes close together.
    /// </summary>
    public static void Transpose(float* src, nint stepE, int kc, int w, int valid, float* dst)
    {
        for (int e = 0; e < valid; e++)
        {
            float* s = src + e * stepE;
            float* d = dst + e;
            int p = 0;
            for (; p + 4 <= kc; p += 4, d += 4 * w)
            {
                d[0] = s[p];
                d[w] = s[p + 1];
                d[2 * w] = s[p + 2];
                d[3 * w] = s[p + 3];
            }
            for (; p < kc; p++, d += w) *d = s[p];
        }
        if (valid < w)
            for (int p = 0; p < kc; p++)
                for (int e = valid; e < w; e++) dst[p * w + e] = 0;
    }

    /// <summary>count floats from src to dst, widest vectors first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void CopyRun(float* src, float* dst, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= count; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(src + i), dst + i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= count; i += 4) Vector128.Store(Vector128.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] = src[i];
    }
}
