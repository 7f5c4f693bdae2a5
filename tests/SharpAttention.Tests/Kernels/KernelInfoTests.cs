using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpAttention.Kernels.Gemm;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

/// <summary><see cref="KernelInfo.Describe"/> names the paths calls take: the hardware's widest by default, the ones the
/// runtime leaves when CI turns AVX-512 or AVX2 off (<c>DOTNET_EnableAVX512=0</c>, <c>DOTNET_EnableAVX2=0</c>), and
/// the narrower ones a test forces.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class KernelInfoTests
{
    static string Line(string text, string key) =>
        text.Split(Environment.NewLine).SingleOrDefault(l => l.StartsWith(key + ": ", StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no '{key}:' line in:\n{text}");

    [Fact]
    public void DescribeNamesThePathsTheRuntimeAllows()
    {
        string d = KernelInfo.Describe();
        // .NET 10 reads DOTNET_EnableAVX512 (AVX512F, BW, CD, DQ and VL became one switch) and ignores
        // DOTNET_EnableAVX512F, so a run that sets only the old name still has AVX-512: say so rather than pass.
        bool no512 = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0";
        bool noAvx2 = Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0";
        Assert.False((no512 || noAvx2) && Vector512.IsHardwareAccelerated,
                     "AVX-512 was meant to be off but Vector512 is accelerated: .NET 10 needs DOTNET_EnableAVX512=0 (DOTNET_EnableAVX512F is ignored)");
        Assert.False(noAvx2 && Vector256.IsHardwareAccelerated, "DOTNET_EnableAVX2=0 but Vector256 is accelerated");

        int expected = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;
        Assert.StartsWith($"{expected}-bit tiles", Line(d, "attention")[11..]);
        Assert.StartsWith(expected switch { 512 => "avx512 12x32", 256 => "avx2 6x16", _ => Vector128.IsHardwareAccelerated ? "vector128 6x8" : "scalar" },
                          Line(d, "gemm")[6..]);
        Assert.Equal(SimdWidth.Hardware == 0 ? "elementwise: scalar" : $"elementwise: {SimdWidth.Hardware}-bit", Line(d, "elementwise"));
        if (expected == 512) Assert.Equal("transpose: avx512 16x16 in-register", Line(d, "transpose"));
        if (expected == 256) Assert.Equal("transpose: avx 8x8 in-register", Line(d, "transpose"));
        if (expected == 128 && Sse.IsSupported) Assert.Equal("transpose: sse 4x4 in-register", Line(d, "transpose"));
        // What CI greps for in each of its runs.
        if (no512 && !noAvx2 && Avx2.IsSupported) Assert.Contains("attention: 256-bit tiles", d);
        if (noAvx2 && Sse.IsSupported) Assert.Contains("attention: 128-bit tiles", d);
    }

    [Fact]
    public void ForcingAWidthNarrowsEveryKernelFamily()
    {
        foreach (int width in KernelPaths.Widths)
            using (SimdWidth.Force(width))
            {
                string d = KernelInfo.Describe();
                Assert.StartsWith($"attention: {Math.Max(128, width)}-bit tiles", Line(d, "attention"));
                Assert.Equal(width == 0 ? "elementwise: scalar" : $"elementwise: {width}-bit", Line(d, "elementwise"));
                var gemm = GemmIsaSelect.Current;
                Assert.Equal(width switch { 512 => GemmIsa.Avx512, 256 => GemmIsa.Avx2, 128 => GemmIsa.Vector128, _ => GemmIsa.Scalar }, gemm);
            }
        Assert.Equal(GemmIsaSelect.Best, GemmIsaSelect.Current);
    }
}
