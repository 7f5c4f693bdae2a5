using SharpAttention.Kernels.Gemm;

namespace SharpAttention.Tests.Kernels;

/// <summary>The transposing packs of the micro-kernels (SIMD for AVX2 and AVX-512) against the definition
/// dst[p·w + e] = src[e·stepE + p], for every even panel width up to 32 (6 is the AVX2 A panel: 4 sources and a
/// pair) and depths around their 8- and 16-step loops and 64-step blocks.</summary>
public unsafe class GemmPackTests
{
    /// <summary>Every path this CPU runs; the 128-bit and scalar kernels take the portable pack.</summary>
    public static readonly TheoryData<string> Isas = GemmTests.Isas;

    [Theory]
    [MemberData(nameof(Isas))]
    public void PackTransposedMatchesTheDefinition(string isa)
    {
        var rng = new Random(7);
        foreach (int w in new[] { 2, 4, 6, 8, 10, 12, 14, 16, 32 })
            foreach (int kc in new[] { 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 130 })
            {
                int stepE = kc + 3;
                var src = new float[w * stepE];
                for (int i = 0; i < src.Length; i++) src[i] = rng.NextSingle();
                var dst = new float[w * kc + 1];
                dst[^1] = float.NaN;
                fixed (float* s = src, d = dst)
                {
                    switch (Enum.Parse<GemmIsa>(isa))
                    {
                        case GemmIsa.Avx512: Pack<GemmKernelAvx512>(s, stepE, kc, w, d); break;
                        case GemmIsa.Avx2: Pack<GemmKernelAvx2>(s, stepE, kc, w, d); break;
                        case GemmIsa.Vector128: Pack<GemmKernelVector128>(s, stepE, kc, w, d); break;
                        default: Pack<GemmKernelScalar>(s, stepE, kc, w, d); break;
                    }
                }
                for (int p = 0; p < kc; p++)
                    for (int e = 0; e < w; e++)
                        if (dst[p * w + e] != src[e * stepE + p])
                            Assert.Fail($"{isa} w={w} kc={kc}: dst[{p}·w + {e}] = {dst[p * w + e]}, want src[{e}·stepE + {p}] = {src[e * stepE + p]}");
                Assert.True(float.IsNaN(dst[^1]), $"{isa} w={w} kc={kc}: wrote past the panel");
            }
    }

    static void Pack<TK>(float* src, int stepE, int kc, int w, float* dst) where TK : struct, IGemmKernel =>
        TK.PackTransposed(src, stepE, kc, w, dst);
}
