using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpAttention.Kernels.Attention;
using SharpAttention.Kernels.Gemm;
using SharpAttention.Kernels.Simd;

namespace SharpAttention;

/// <summary>
/// Which instruction-set paths the kernels take on this machine (the answer to "is the fast path running?"): the
/// GEMM micro-kernel and its transposing pack, the attention tile width, the in-register transposes attention packs
/// with, and the elementwise driver width. Each path is chosen once at start-up from what the CPU runs (and what the
/// runtime allows: <c>DOTNET_EnableAVX512=0</c> or <c>DOTNET_EnableAVX2=0</c> select the narrower paths; .NET 10 ignores
/// the older <c>DOTNET_EnableAVX512F</c>); what is
/// printed is what a call made now from this thread takes. <c>attn --version --verbose</c> prints it.
/// </summary>
public static class KernelInfo
{
    /// <summary>One "name: path" line per kernel family, e.g. <c>attention: 512-bit tiles (…)</c>.</summary>
    public static string Describe()
    {
        int simd = SimdWidth.Current, attention = TileWidthSelect.Current, lanes = attention / 32;
        var gemm = GemmIsaSelect.Current;
        var lines = new[]
        {
            $"cpu: {Environment.ProcessorCount} logical cores, {RuntimeArchitecture()}, vectors accelerated: {Accelerated()}",
            $"gemm: {GemmName(gemm)} micro-kernel, {GemmPackName(gemm)} transposing pack",
            $"attention: {attention}-bit tiles ({lanes} lanes a vector; forward tiles of {lanes}-{4 * lanes} query rows, "
                + $"backward blocks of {4 * lanes} keys; micro-kernel 6 rows x {(attention == 512 ? 4 : 2)} vectors a pass)"
                + (attention == 128 && !W128.Fused ? " (unfused multiply-add)" : ""),
            $"transpose: {TileWidthSelect.TransposeName(attention)}",
            $"elementwise: {(simd == 0 ? "scalar" : simd + "-bit")}",
            $"threads: {Threads.Count}",
        };
        return string.Join(Environment.NewLine, lines);
    }

    static string RuntimeArchitecture() => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    static string Accelerated()
    {
        var widths = new List<string>();
        if (Vector512.IsHardwareAccelerated) widths.Add("512");
        if (Vector256.IsHardwareAccelerated) widths.Add("256");
        if (Vector128.IsHardwareAccelerated) widths.Add("128");
        return widths.Count == 0 ? "none" : string.Join("/", widths) + "-bit";
    }

    static string GemmName(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => $"avx512 {GemmKernelAvx512.MR}x{GemmKernelAvx512.NR}",
        GemmIsa.Avx2 => $"avx2 {GemmKernelAvx2.MR}x{GemmKernelAvx2.NR}",
        GemmIsa.Vector128 => $"vector128 {GemmKernelVector128.MR}x{GemmKernelVector128.NR}" + (Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "" : " (unfused multiply-add)"),
        _ => $"scalar {GemmKernelScalar.MR}x{GemmKernelScalar.NR}",
    };

    static string GemmPackName(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => "avx512",
        GemmIsa.Avx2 => "avx2",
        _ => "portable",
    };
}
