using SharpAttention.Kernels.Reference;
using SharpAttention.Kernels.Simd;

namespace SharpAttention.Tests.Kernels;

public class DropoutKernelTests
{
    static (double[] X, bool[] Keep) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n];
        var keep = new bool[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = rng.NextDouble() * 8 - 4;
            keep[i] = rng.Next(2) == 1;
        }
        return (x, keep);
    }

    [Fact]
    public void FastMatchesReferenceOnEveryLength()
    {
        for (int n = 0; n <= 257; n++)
        {
            var (x, keep) = Data(n, n);
            var fast = new double[n];
            var slow = new double[n];
            DropoutKernel.Apply<double>(x, keep, 0.7, fast);
            DropoutReference.Apply<double>(x, keep, 0.7, slow);
            Assert.Equal(slow, fast);

            var xf = Array.ConvertAll(x, v => (float)v);
            var fastF = new float[n];
            var slowF = new float[n];
            DropoutKernel.Apply<float>(xf, keep, 0.7f, fastF);
            DropoutReference.Apply<float>(xf, keep, 0.7f, slowF);
            Assert.Equal(slowF, fastF);
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
    public void NaNAndInfinityPropagateInEveryLane()
    {
        for (int n = 1; n <= 40; n++)
        {
            var x = new float[n];
            var keep = new bool[n];
            for (int i = 0; i < n; i++)
            {
                x[i] = (i % 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
                keep[i] = i % 2 == 0;
            }
            var fast = new float[n];
            var slow = new float[n];
            DropoutKernel.Apply<float>(x, keep, 0.5f, fast);
            DropoutReference.Apply<float>(x, keep, 0.5f, slow);
            Assert.Equal(slow, fast);
            for (int i = 0; i < n; i++)
                Assert.True(keep[i] ? fast[i].Equals(x[i]) : float.IsNaN(fast[i]), $"n={n} i={i}: {fast[i]}");
        }
    }
}
