using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>Tests that reseed <see cref="Generator.Default"/> run alone, so no other test draws from it meanwhile.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class GeneratorTests
{
    /// <summary>A generator whose next 64-bit output is <paramref name="output"/>: xoshiro256** returns
    /// rotl(s1·5, 7)·9, and 5 and 9 are invertible mod 2^64, so s1 can be solved for.</summary>
    static Generator WhoseNextDrawIs(ulong output)
    {
        ulong s1 = ulong.RotateRight(output * Inverse(9), 7) * Inverse(5);
        var g = new Generator(0);
        g.SetState([0x0123456789abcdefUL, s1, 0xfedcba9876543210UL, 0x0f0f0f0f0f0f0f0fUL, 0, 0]);
        return g;
    }

    /// <summary>Multiplicative inverse of an odd number mod 2^64 (Newton's iteration doubles the correct bits).</summary>
    static ulong Inverse(ulong a)
    {
        ulong x = a;
        for (int i = 0; i < 6; i++) x *= 2 - a * x;
        return x;
    }

    [Fact]
    public void TheLargestDrawStillFallsBelowTheHighBound()
    {
        Assert.Equal(1 - Math.Pow(2, -53), WhoseNextDrawIs(ulong.MaxValue).NextDouble());
        // (float)(1 - 2^-53) rounds to 1.0f; torch.rand's range is [0, 1).
        Assert.True(Tensor.Rand([1], WhoseNextDrawIs(ulong.MaxValue)).Item() < 1f);
        Assert.True(Tensor.Uniform([1], -1, 3, WhoseNextDrawIs(ulong.MaxValue)).Item() < 3f);
        // 1 + (1 - 2^-53) is a tie that rounds to 2.0 even in double.
        Assert.True(Tensor.Uniform([1], 1, 2, WhoseNextDrawIs(ulong.MaxValue), DType.Float64).ItemDouble() < 2.0);
        Assert.Equal(1 - Math.Pow(2, -24), Tensor.Rand([1], WhoseNextDrawIs(ulong.MaxValue)).Item());
        Assert.Equal(0f, Tensor.Rand([1], WhoseNextDrawIs(0)).Item());
        Assert.Equal(new float[] { 5, 5 }, Tensor.Uniform([2], 5, 5).ToArray());
    }

    [Fact]
    public void BadRangesAndStdAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Tensor.Uniform([1], 3, 1));
        Assert.Throws<ArgumentException>(() => Tensor.Uniform([1], 0, double.NaN));
        Assert.Throws<ArgumentException>(() => Tensor.Uniform([1], double.MinValue, double.MaxValue));
        Assert.Throws<ArgumentException>(() => Tensor.Normal([1], 0, -1));
        Assert.Throws<ArgumentException>(() => Tensor.Normal([1], 0, double.NaN));
    }

    [Fact]
    public void AnAllZeroStateIsRejected()
    {
        // xoshiro256** never leaves the all-zero state: every draw would be 0 (every normal 0, every uniform low).
        var e = Assert.Throws<ArgumentException>(() => new Generator(1).SetState([0, 0, 0, 0, 0, 0]));
        Assert.Contains("zero", e.Message);
        Assert.Throws<ArgumentException>(() => new Generator(1).SetState([1, 2, 3]));
    }

    [Fact]
    public void WideIntegerRangesStayInRange()
    {
        // floor(u * n) in double rounds up to n for n near 2^63.
        long n = long.MaxValue;
        long v = WhoseNextDrawIs(ulong.MaxValue).NextInt64(n);
        Assert.InRange(v, 0, n - 1);
        var all = Tensor.RandInt(long.MinValue, long.MaxValue, [1000], new Generator(3)).ToInt64Array();
        Assert.Contains(all, x => x < 0);
        Assert.Contains(all, x => x > 0);
        Assert.Equal(long.MaxValue - 1, Tensor.RandInt(long.MinValue, long.MaxValue, [1], WhoseNextDrawIs(ulong.MaxValue)).ToInt64Array()[0]);
        // Ranges up to 2^53 keep the historical stream.
        var g = new Generator(8);
        var reference = new Generator(8);
        Assert.Equal((long)(reference.NextDouble() * 1000), g.NextInt64(1000));
    }

    [Fact]
    public void ManualSeedReseedsTheDefaultGeneratorInPlace()
    {
        var before = Generator.Default;
        Generator.ManualSeed(42);
        Assert.Same(before, Generator.Default);
        var a = Tensor.Randn(5).ToArray();
        Generator.ManualSeed(42);
        Assert.Equal(a, Tensor.Randn([5], before).ToArray());
        Assert.Equal(a, Tensor.Randn([5], new Generator(42)).ToArray());
    }

    [Fact]
    public void ConcurrentFactoriesOnOneGeneratorEachTakeAContiguousPartOfItsStream()
    {
        const int perThread = 40, length = 1000;
        var shared = new Generator(9);
        var results = new float[2][][];
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(k => new Thread(() =>
        {
            start.SignalAndWait();
            results[k] = Enumerable.Range(0, perThread).Select(_ => Tensor.Rand([length], shared).ToArray()).ToArray();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        var sequential = new Generator(9);
        var expected = Enumerable.Range(0, 2 * perThread).Select(_ => Tensor.Rand([length], sequential).ToArray()).ToList();
        foreach (var block in results.SelectMany(r => r))
            Assert.Contains(expected, e => e.AsSpan().SequenceEqual(block));
    }
}
