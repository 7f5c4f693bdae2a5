using SharpAttention.Kernels.Reference;
using SharpAttention.Kernels.Simd;

namespace SharpAttention.Tests.Kernels;

public class DropoutKernelTests
{
    /// <summary>The documented mask, written out here: two rounds of the murmur3 32-bit finaliser over
    /// i·0x9E3779B1, keyed by the key's low then high half; kept when below the threshold.</summary>
    static bool[] ExpectedMask(ulong key, int first, int n, uint threshold)
    {
        static uint Fmix(uint h)
        {
            h ^= h >> 16; h *= 0x85EBCA6B;
            h ^= h >> 13; h *= 0xC2B2AE35;
            return h ^ (h >> 16);
        }
        var keep = new bool[n];
        for (int i = 0; i < n; i++)
        {
            uint index = (uint)(first + i);
            keep[i] = Fmix(Fmix(unchecked(index * 0x9E3779B1u) ^ (uint)key) ^ (uint)(key >> 32)) < threshold;
        }
        return keep;
    }

    static double[] Data(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rng.NextDouble() * 8 - 4;
        return x;
    }

    [Fact]
    public void FastMatchesTheWrittenOutMaskOnEveryLength()
    {
        const ulong key = 0xDEADBEEF_12345678UL;
        uint threshold = DropoutKernel.KeepThreshold(0.7);
        for (int n = 0; n <= 257; n++)
        {
            var x = Data(n, n);
            var keep = ExpectedMask(key, 0, n, threshold);
            var fast = new double[n];
            var slow = new double[n];
            DropoutKernel.Apply<double>(x, key, threshold, 0.7, fast);
            DropoutReference.Apply<double>(x, keep, 0.7, slow);
            Assert.Equal(slow, fast);

            var xf = Array.ConvertAll(x, v => (float)v);
            var fastF = new float[n];
            var slowF = new float[n];
            DropoutKernel.Apply<float>(xf, key, threshold, 0.7f, fastF);
            DropoutReference.Apply<float>(xf, keep, 0.7f, slowF);
            Assert.Equal(slowF, fastF);
        }
    }

    [Fact]
    public void ALongSpanSharedOverChunksKeepsEachElementsGlobalIndex()
    {
        // Several ChunkedFor chunks: every element's mask bit must come from its index in the whole span.
        const int n = 3 * 16384 + 77;
        const ulong key = 42;
        uint threshold = DropoutKernel.KeepThreshold(0.5);
        var x = Enumerable.Repeat(1f, n).ToArray();
        var y = new float[n];
        DropoutKernel.Apply<float>(x, key, threshold, 0.5f, y);
        var keep = ExpectedMask(key, 0, n, threshold);
        for (int i = 0; i < n; i++) Assert.True(y[i] == (keep[i] ? 2f : 0f), $"element {i}: {y[i]}, kept {keep[i]}");
    }

    [Fact]
    public void MaskHasTheRateAndNoCorrelationBetweenNeighbours()
    {
        const int n = 1 << 20;
        uint threshold = DropoutKernel.KeepThreshold(0.9);
        var keep = new float[n];
        DropoutKernel.Apply<float>(Enumerable.Repeat(1f, n).ToArray(), 7, threshold, 1f, keep);
        double mean = keep.Average();
        Assert.InRange(mean, 0.9 - 0.002, 0.9 + 0.002);
        // lag-1, lag-8 and lag-16 autocorrelation of the 0/1 mask (8 and 16: one SIMD register apart)
        foreach (int lag in new[] { 1, 8, 16 })
        {
            double cov = 0;
            for (int i = 0; i + lag < n; i++) cov += (keep[i] - mean) * (keep[i + lag] - mean);
            double corr = cov / (n - lag) / (mean * (1 - mean));
            Assert.True(Math.Abs(corr) < 0.01, $"lag {lag}: correlation {corr}");
        }
    }

    [Fact]
    public void ReferenceDividesKeptAndZeroesDropped()
    {
        var y = new double[3];
        DropoutReference.Apply<double>([3.0, 3.0, -1.0], [true, false, true], 0.5, y);
        Assert.Equal(new[] { 6.0, 0.0, -2.0 }, y);
    }

    [Fact]
    public void NaNAndInfinityGiveNaNWhenDroppedAndPassWhenKeptInEveryLane()
    {
        uint half = DropoutKernel.KeepThreshold(0.5);
        for (int n = 1; n <= 40; n++)
        {
            var x = new double[n];
            for (int i = 0; i < n; i++)
                x[i] = (i % 3) switch { 0 => double.NaN, 1 => double.PositiveInfinity, _ => double.NegativeInfinity };
            var keep = ExpectedMask(5, 0, n, half);
            var y = new double[n];
            DropoutKernel.Apply<double>(x, 5, half, 0.5, y);
            var xf = Array.ConvertAll(x, v => (float)v);
            var yf = new float[n];
            DropoutKernel.Apply<float>(xf, 5, half, 0.5f, yf);
            for (int i = 0; i < n; i++)
            {
                Assert.True(keep[i] ? y[i].Equals(x[i] / 0.5) : double.IsNaN(y[i]), $"double n={n} i={i}: {y[i]}");
                Assert.True(keep[i] ? yf[i].Equals(xf[i] / 0.5f) : float.IsNaN(yf[i]), $"float n={n} i={i}: {yf[i]}");
            }
        }
        Assert.Contains(true, ExpectedMask(5, 0, 40, half));
        Assert.Contains(false, ExpectedMask(5, 0, 40, half));
    }

    [Fact]
    public void ThresholdZeroDropsEverything()
    {
        var x = new float[] { 1, -2, 3, float.NaN, 5, 6, 7, 8, 9 };
        var y = new float[x.Length];
        DropoutKernel.Apply<float>(x, 5, 0, 0.5f, y);
        Assert.Equal(new float[] { 0, 0, 0 }, y[..3]);
        Assert.True(float.IsNaN(y[3]));
        Assert.All(y[4..], v => Assert.Equal(0f, v));
    }
}
