using System.Globalization;
using System.Numerics;

namespace SharpAttention.Tensors;

/// <summary>
/// Python's "{:.Nf}" and "{:.Ne}" for doubles, which torch's tensor printing uses: the digits of the exact binary
/// value, rounded half to even (0.03125 prints as 0.0312). .NET's custom numeric formats round half away from zero.
/// </summary>
internal static class DecimalFormat
{
    /// <summary>Fixed point with <paramref name="decimals"/> digits after the point; "nan", "inf", "-inf" otherwise.</summary>
    public static string Fixed(double v, int decimals)
    {
        if (!double.IsFinite(v)) return NonFinite(v);
        string digits = Scaled(Math.Abs(v), decimals).ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        string s = decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
        return double.IsNegative(v) ? "-" + s : s;
    }

    /// <summary>d.ddddde±XX with <paramref name="decimals"/> digits after the point and at least two exponent digits.</summary>
    public static string Scientific(double v, int decimals)
    {
        if (!double.IsFinite(v)) return NonFinite(v);
        double a = Math.Abs(v);
        int exponent = 0;
        var mantissa = BigInteger.Zero;
        if (a != 0)
        {
            // log10 can be off by one near powers of ten, and rounding can carry 9.99995 up to 10.0000: correct both.
            var limit = BigInteger.Pow(10, decimals + 1);
            exponent = (int)Math.Floor(Math.Log10(a));
            mantissa = Scaled(a, decimals - exponent);
            if (mantissa >= limit) mantissa = Scaled(a, decimals - ++exponent);
            else if (mantissa * 10 < limit) mantissa = Scaled(a, decimals - --exponent);
        }
        string digits = mantissa.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        string s = (decimals == 0 ? digits : digits[..1] + "." + digits[1..]) +
                   (exponent < 0 ? "e-" : "e+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        return double.IsNegative(v) ? "-" + s : s;
    }

    static string NonFinite(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";

    /// <summary>a · 10^p rounded half to even, computed exactly for finite a ≥ 0.</summary>
    static BigInteger Scaled(double a, int p)
    {
        long bits = BitConverter.DoubleToInt64Bits(a);
        int biasedExponent = (int)(bits >> 52) & 0x7FF;
        long significand = bits & ((1L << 52) - 1);
        if (biasedExponent == 0) biasedExponent = 1;   // subnormal
        else significand |= 1L << 52;
        int e = biasedExponent - 1075;                 // a = significand · 2^e
        BigInteger num = significand, den = BigInteger.One;
        if (e >= 0) num <<= e;
        else den <<= -e;
        if (p >= 0) num *= BigInteger.Pow(10, p);
        else den *= BigInteger.Pow(10, -p);
        var quotient = BigInteger.DivRem(num, den, out var remainder);
        var twice = remainder * 2;
        if (twice > den || (twice == den && !quotient.IsEven)) quotient++;
        return quotient;
    }
}
