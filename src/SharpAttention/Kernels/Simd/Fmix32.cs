using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// The murmur3 32-bit finaliser (Appleby's fmix32): a bijection on 32-bit words with full avalanche, the mixer of
/// the project's counter-based random bits (dropout masks, attention dropout). Scalar and SIMD forms give the same
/// word for the same input, so a vector lane and the scalar tail agree.
/// </summary>
internal static class Fmix32
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> Mix(Vector128<uint> h)
    {
        h ^= Vector128.ShiftRightLogical(h, 16);
        h *= 0x85EBCA6Bu;
        h ^= Vector128.ShiftRightLogical(h, 13);
        h *= 0xC2B2AE35u;
        h ^= Vector128.ShiftRightLogical(h, 16);
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Mix(Vector256<uint> h)
    {
        h ^= Vector256.ShiftRightLogical(h, 16);
        h *= 0x85EBCA6Bu;
        h ^= Vector256.ShiftRightLogical(h, 13);
        h *= 0xC2B2AE35u;
        h ^= Vector256.ShiftRightLogical(h, 16);
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Mix(Vector512<uint> h)
    {
        h ^= Vector512.ShiftRightLogical(h, 16);
        h *= 0x85EBCA6Bu;
        h ^= Vector512.ShiftRightLogical(h, 13);
        h *= 0xC2B2AE35u;
        h ^= Vector512.ShiftRightLogical(h, 16);
        return h;
    }
}
