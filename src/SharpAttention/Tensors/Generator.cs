namespace SharpAttention.Tensors;

/// <summary>
/// Seeded pseudo-random source for tensor creation, initialisation and dropout (PyTorch's torch.Generator).
/// xoshiro256** seeded through SplitMix64: fast, small state, and reproducible across platforms.
/// Normals come from the Box–Muller transform. The Next* methods are not synchronised; the tensor factories and
/// dropout hold the generator's lock while they draw (as torch's ops hold its mutex), so ops on several threads may
/// share one generator, such as <see cref="Default"/>, without corrupting its state.
/// </summary>
public sealed class Generator
{
    ulong s0, s1, s2, s3;
    double spareNormal;
    bool hasSpare;

    /// <summary>The process-wide default generator (torch.default_generator): always the same object, so a reference
    /// taken earlier keeps drawing from the stream <see cref="ManualSeed"/> restarts.</summary>
    public static Generator Default { get; } = new(0x5eed);

    /// <summary>Reseeds the default generator in place (PyTorch's torch.manual_seed).</summary>
    public static void ManualSeed(ulong seed)
    {
        lock (Default) Default.SetSeed(seed);
    }

    public Generator(ulong seed) => SetSeed(seed);

    public void SetSeed(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
        hasSpare = false;
    }

    /// <summary>The full state, for checkpoints; restore with <see cref="SetState"/>.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, hasSpare ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(spareNormal)];

    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 6) throw new ArgumentException($"generator state must have 6 words, got {state.Length}");
        if ((state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("generator state: the four xoshiro256** words must not all be zero (the generator would return 0 forever)");
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        hasSpare = state[4] != 0;
        spareNormal = BitConverter.UInt64BitsToDouble(state[5]);
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits (exactly representable in float32).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Standard normal sample.</summary>
    public double NextNormal()
    {
        if (hasSpare)
        {
            hasSpare = false;
            return spareNormal;
        }
        double u1 = 1.0 - NextDouble();   // (0, 1]: log stays finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Uniform integer in [0, n).</summary>
    public long NextInt64(long n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"upper bound must be positive, got {n}");
        return (long)NextBelow((ulong)n);
    }

    /// <summary>Uniform integer in [0, n), n ≥ 1. Up to 2^53 it is floor(u·n) for the 53-bit double u, which cannot
    /// round up to n there (and keeps seeded streams as they were); wider ranges, where it could, take the high half of
    /// the 128-bit product of a 64-bit draw and n.</summary>
    internal ulong NextBelow(ulong n) =>
        n <= 1UL << 53 ? (ulong)(NextDouble() * n) : Math.BigMul(NextUInt64(), n, out _);
}
