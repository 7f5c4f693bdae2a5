using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// e^x for x ≤ 0 in single precision, inlined at each width: x = n·ln 2 + r with |r| ≤ ½·ln 2 (ln 2 split into a
/// part with few bits, so n·ln2Hi is exact, and a remainder: Cody &amp; Waite's reduction), e^r from its Taylor series
/// up to r⁷ (truncation error below 6e-9 relative), then 2ⁿ added into the exponent bits. About 1 ulp from e^x down to
/// e^−86; 0 below that (less than 5e-38 from the true value); NaN stays NaN. The runtime's Vector256.Exp is a call
/// per vector that works in double: GELU, whose exponents are never positive, spent 2.6 times as long in it with
/// AVX-512 off as with it on (perf, reference training step, AMD EPYC Zen 5).
/// </summary>
internal static class ExpNonPositive
{
    const float Log2E = 1.44269504f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;

    /// <summary>Below this the result is flushed to 0 (2ⁿ leaves the normal range near −87).</summary>
    const float Floor = -86f;

    /// <summary>1/k!, the Taylor coefficients of e^r.</summary>
    const float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        var n = Vector128.Round(x * Log2E);
        var r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Hi), x);
        r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Lo), r);
        var p = Vector128.MultiplyAddEstimate(Vector128.Create(C7), r, Vector128.Create(C6));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C5));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C4));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C3));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128.Create(C2));
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);
        p = Vector128.MultiplyAddEstimate(p, r, Vector128<float>.One);
        var scaled = (p.AsInt32() + Vector128.ShiftLeft(Vector128.ConvertToInt32(n), 23)).AsSingle();
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(Floor)), Vector128<float>.Zero, scaled);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var n = Vector256.Round(x * Log2E);
        var r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.MultiplyAddEstimate(Vector256.Create(C7), r, Vector256.Create(C6));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C5));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(C2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);
        p = Vector256.MultiplyAddEstimate(p, r, Vector256<float>.One);
        var scaled = (p.AsInt32() + Vector256.ShiftLeft(Vector256.ConvertToInt32(n), 23)).AsSingle();
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(Floor)), Vector256<float>.Zero, scaled);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var n = Vector512.Round(x * Log2E);
        var r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.MultiplyAddEstimate(Vector512.Create(C7), r, Vector512.Create(C6));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C5));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(C2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);
        p = Vector512.MultiplyAddEstimate(p, r, Vector512<float>.One);
        var scaled = (p.AsInt32() + Vector512.ShiftLeft(Vector512.ConvertToInt32(n), 23)).AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(Floor)), Vector512<float>.Zero, scaled);
    }
}
