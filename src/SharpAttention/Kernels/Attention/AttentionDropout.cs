using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static SharpAttention.Kernels.Simd.Fmix32;

namespace SharpAttention.Kernels.Attention;

/// <summary>Whether a kernel instantiation applies dropout (a type argument, so the other path compiles away).</summary>
internal interface IDropoutMode
{
    static abstract bool On { get; }
}

internal struct WithDropout : IDropoutMode { public static bool On => true; }
internal struct NoDropout : IDropoutMode { public static bool On => false; }

/// <summary>
/// Counter-based dropout mask for attention probabilities: whether P[b, h, i, j] is kept is a pure function of
/// (seed, b·H + h, i, j), so the fused kernel never stores the L×S mask — backward (and the composed twin, and
/// tests) regenerate exactly the same bits. The mixer is the murmur3 32-bit finaliser, a bijection with full
/// avalanche, applied to a per-row key xor an odd multiple of the key index (Salmon et al.'s counter-based RNG
/// idea, "Parallel random numbers: as easy as 1, 2, 3", with a cheaper mixer than Philox).
/// </summary>
internal static class AttentionDropout
{
    const uint HeadMul = 0x9E3779B9u, RowMul = 0x27D4EB2Fu, KeyMul = 0x9E3779B1u;

    /// <summary>Key of one (batch·head) slice; <paramref name="bh"/> = b·H + h with the query head h.</summary>
    public static uint HeadKey(ulong seed, int bh) => Mix((uint)seed ^ Mix((uint)(seed >> 32) ^ ((uint)bh * HeadMul + 0x632BE5ABu)));

    /// <summary>Key of query row i within a head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RowKey(uint headKey, int i) => Mix(headKey + (uint)i * RowMul);

    /// <summary>Draws below this are kept: keep probability 1 − p resolved to 2⁻³².</summary>
    public static uint Threshold(double p) => (uint)Math.Min((1 - p) * 4294967296.0, uint.MaxValue);

    /// <summary>Whether P[.., i, j] is kept, given its row key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Keep(uint rowKey, int j, uint threshold) => Mix(rowKey ^ ((uint)j * KeyMul)) < threshold;

    /// <summary>Keep bits for 16 (row key, key index) pairs as an all-ones/zero float mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> KeepMask(Vector512<uint> rowKeys, Vector512<uint> keyIndices, uint threshold) =>
        Vector512.LessThan(Mix(rowKeys ^ (keyIndices * KeyMul)), Vector512.Create(threshold)).AsSingle();

    /// <summary>Keep bits for 8 pairs (the 256-bit kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> KeepMask(Vector256<uint> rowKeys, Vector256<uint> keyIndices, uint threshold) =>
        Vector256.LessThan(Mix(rowKeys ^ (keyIndices * KeyMul)), Vector256.Create(threshold)).AsSingle();

    /// <summary>Keep bits for 4 pairs (the 128-bit kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> KeepMask(Vector128<uint> rowKeys, Vector128<uint> keyIndices, uint threshold) =>
        Vector128.LessThan(Mix(rowKeys ^ (keyIndices * KeyMul)), Vector128.Create(threshold)).AsSingle();

    /// <summary>Fills keep[b, h, i, j] (contiguous (B, H, L, S)) with the mask the fused kernel uses.</summary>
    public static void FillKeepMask(Span<bool> keep, ulong seed, int batch, int heads, int queries, int keys, double p)
    {
        if (keep.Length != (long)batch * heads * queries * keys)
            throw new ArgumentException("attention dropout: mask buffer does not match (B, H, L, S)");
        uint threshold = Threshold(p);
        int o = 0;
        for (int bh = 0; bh < batch * heads; bh++)
        {
            uint headKey = HeadKey(seed, bh);
            for (int i = 0; i < queries; i++)
            {
                uint rowKey = RowKey(headKey, i);
                for (int j = 0; j < keys; j++) keep[o++] = p < 1 && Keep(rowKey, j, threshold);
            }
        }
    }
}
