using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Simd;

namespace SharpAttention.Tests.Kernels;

/// <summary>The single-precision e^x for x ≤ 0 against double-precision Math.Exp at every vector width the hardware runs: within 2 ulp
/// down to −86, within 5e-38 of the true value below, NaN kept, −∞ giving 0, and every width giving the same bits.</summary>
public class ExpNonPositiveTests
{
    [Fact]
    public void MatchesMathExpAtEveryWidth()
    {
        var rng = new Random(3);
        var xs = new List<float> { 0f, -0f, -1e-30f, -0.3465736f, -0.3465737f, -1f, -10f, -85.9f, -86f, -86.1f, -87.5f, -100f, -1e30f };
        for (int i = 0; i < 20_000; i++) xs.Add((float)(-100 * Math.Pow(rng.NextDouble(), 2)));
        foreach (float x in xs)
        {
            // Widths the hardware runs (an emulated width may not fuse the multiply-adds).
            var results = new List<float> { ExpNonPositive.Exp(Vector128.Create(x)).GetElement(0) };
            if (Vector256.IsHardwareAccelerated) results.Add(ExpNonPositive.Exp(Vector256.Create(x)).GetElement(3));
            if (Vector512.IsHardwareAccelerated) results.Add(ExpNonPositive.Exp(Vector512.Create(x)).GetElement(9));
            float y = results[0];
            Assert.True(results.All(r => BitConverter.SingleToInt32Bits(r) == BitConverter.SingleToInt32Bits(y)),
                        $"x={x:R}: widths disagree ({string.Join(", ", results.Select(r => r.ToString("R")))})");
            double want = Math.Exp(x);
            double tolerance = x >= -86 ? 2 * MathF.BitIncrement((float)want) - 2 * (float)want : 5e-38;
            Assert.True(Math.Abs(y - want) <= tolerance, $"x={x:R}: {y:R}, want {want:R} ± {tolerance:G3}");
        }
    }

    [Fact]
    public void NaNStaysNaNAndMinusInfinityGivesZero()
    {
        Assert.True(float.IsNaN(ExpNonPositive.Exp(Vector128.Create(float.NaN)).GetElement(0)));
        Assert.Equal(0f, ExpNonPositive.Exp(Vector128.Create(float.NegativeInfinity)).GetElement(0));
    }
}
