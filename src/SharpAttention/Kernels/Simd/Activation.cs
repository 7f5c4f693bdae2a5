using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// A fused activation f with its derivative f′: a double scalar form (the Float64 path and the scalar Float32 path)
/// and Vector128/256/512 float forms. TensorPrimitives has no GELU or SiLU, so these are ours.
/// </summary>
internal interface IActivationOp
{
    static abstract double Forward(double x);
    static abstract double Derivative(double x);
    static abstract Vector128<float> Forward(Vector128<float> x);
    static abstract Vector128<float> Derivative(Vector128<float> x);
    static abstract Vector256<float> Forward(Vector256<float> x);
    static abstract Vector256<float> Derivative(Vector256<float> x);
    static abstract Vector512<float> Forward(Vector512<float> x);
    static abstract Vector512<float> Derivative(Vector512<float> x);
}

/// <summary>
/// Drivers for <see cref="IActivationOp"/>: y = f(x) and dx = dy·f′(x). Float spans take the widest width
/// <see cref="SimdWidth.Current"/> allows; the tail is padded into one stack vector of that width, so every element
/// goes through the same vector code whatever its position (results do not depend on the length or on how a caller
/// cuts the span into chunks) and in-place calls (x and y the same span) are safe. These are single-thread kernels;
/// <see cref="Elementwise"/> shares large spans over the thread team.
/// </summary>
internal static class Activation
{
    public static void Forward<TOp, T>(ReadOnlySpan<T> x, Span<T> y)
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var xf = MemoryMarshal.Cast<T, float>(x);
            var yf = MemoryMarshal.Cast<T, float>(y);
            int width = SimdWidth.Current;
            if (Vector512.IsHardwareAccelerated && width >= 512) Forward512<TOp>(xf, yf);
            else if (Vector256.IsHardwareAccelerated && width >= 256) Forward256<TOp>(xf, yf);
            else if (Vector128.IsHardwareAccelerated && width >= 128) Forward128<TOp>(xf, yf);
            else
                for (int i = 0; i < xf.Length; i++) yf[i] = (float)TOp.Forward(xf[i]);
        }
        else
        {
            var xd = MemoryMarshal.Cast<T, double>(x);
            var yd = MemoryMarshal.Cast<T, double>(y);
            for (int i = 0; i < xd.Length; i++) yd[i] = TOp.Forward(xd[i]);
        }
    }

    /// <summary>dx = dy·f′(x), all three the same length — for ReLU torch's threshold_backward (see <see cref="Grad{TOp}(double, double)"/>).</summary>
    public static void Backward<TOp, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var xf = MemoryMarshal.Cast<T, float>(x);
            var gf = MemoryMarshal.Cast<T, float>(dy);
            var df = MemoryMarshal.Cast<T, float>(dx);
            int width = SimdWidth.Current;
            if (Vector512.IsHardwareAccelerated && width >= 512) Backward512<TOp>(xf, gf, df);
            else if (Vector256.IsHardwareAccelerated && width >= 256) Backward256<TOp>(xf, gf, df);
            else if (Vector128.IsHardwareAccelerated && width >= 128) Backward128<TOp>(xf, gf, df);
            else
                for (int i = 0; i < xf.Length; i++) df[i] = (float)Grad<TOp>(xf[i], gf[i]);
        }
        else
        {
            var xd = MemoryMarshal.Cast<T, double>(x);
            var gd = MemoryMarshal.Cast<T, double>(dy);
            var dd = MemoryMarshal.Cast<T, double>(dx);
            for (int i = 0; i < xd.Length; i++) dd[i] = Grad<TOp>(xd[i], gd[i]);
        }
    }

    /// <summary>One element's gradient: dy·f′(x), except ReLU, which follows torch's threshold_backward — a select,
    /// dx = x ≤ 0 ? 0 : dy, so dx is exactly 0 where the unit is off even for an infinite or NaN dy, and dy passes where
    /// x is NaN (the same rule on the input as on relu's output, which is what the Relu op saves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static double Grad<TOp>(double x, double dy) where TOp : IActivationOp =>
        typeof(TOp) == typeof(ReluActivationOp) ? (x <= 0 ? 0 : dy) : dy * TOp.Derivative(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Grad<TOp>(Vector512<float> x, Vector512<float> dy) where TOp : IActivationOp =>
        typeof(TOp) == typeof(ReluActivationOp)
            ? Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, dy)
            : dy * TOp.Derivative(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Grad<TOp>(Vector256<float> x, Vector256<float> dy) where TOp : IActivationOp =>
        typeof(TOp) == typeof(ReluActivationOp)
            ? Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, dy)
            : dy * TOp.Derivative(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<float> Grad<TOp>(Vector128<float> x, Vector128<float> dy) where TOp : IActivationOp =>
        typeof(TOp) == typeof(ReluActivationOp)
            ? Vector128.ConditionalSelect(Vector128.LessThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.Zero, dy)
            : dy * TOp.Derivative(x);

    static void Forward512<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IActivationOp
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, w = Vector512<float>.Count, i = 0;
        for (; i <= n - w; i += w)
            TOp.Forward(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i == n) return;
        Span<float> buf = stackalloc float[w];
        Pad(x[i..], buf);
        TOp.Forward(Vector512.Create<float>(buf)).CopyTo(buf);
        buf[..(n - i)].CopyTo(y[i..]);
    }

    static void Forward256<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IActivationOp
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, w = Vector256<float>.Count, i = 0;
        for (; i <= n - w; i += w)
            TOp.Forward(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i == n) return;
        Span<float> buf = stackalloc float[w];
        Pad(x[i..], buf);
        TOp.Forward(Vector256.Create<float>(buf)).CopyTo(buf);
        buf[..(n - i)].CopyTo(y[i..]);
    }

    static void Forward128<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IActivationOp
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, w = Vector128<float>.Count, i = 0;
        for (; i <= n - w; i += w)
            TOp.Forward(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i == n) return;
        Span<float> buf = stackalloc float[w];
        Pad(x[i..], buf);
        TOp.Forward(Vector128.Create<float>(buf)).CopyTo(buf);
        buf[..(n - i)].CopyTo(y[i..]);
    }

    static void Backward512<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) where TOp : IActivationOp
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int n = x.Length, w = Vector512<float>.Count, i = 0;
        for (; i <= n - w; i += w)
            Grad<TOp>(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
        if (i == n) return;
        Span<float> bx = stackalloc float[w], bg = stackalloc float[w];
        Pad(x[i..], bx);
        Pad(dy[i..], bg);
        Grad<TOp>(Vector512.Create<float>(bx), Vector512.Create<float>(bg)).CopyTo(bx);
        bx[..(n - i)].CopyTo(dx[i..]);
    }

    static void Backward256<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) where TOp : IActivationOp
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int n = x.Length, w = Vector256<float>.Count, i = 0;
        for (; i <= n - w; i += w)
            Grad<TOp>(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
        if (i == n) return;
        Span<float> bx = stackalloc float[w], bg = stackalloc float[w];
        Pad(x[i..], bx);
        Pad(dy[i..], bg);
        Grad<TOp>(Vector256.Create<float>(bx), Vector256.Create<float>(bg)).CopyTo(bx);
        bx[..(n - i)].CopyTo(dx[i..]);
    }

    static void Backward128<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) where TOp : IActivationOp
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(dy);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int n = x.Length, w = Vector128<float>.Count, i = 0;
        for (; i <= n - w; i += w)
            Grad<TOp>(Vector128.LoadUnsafe(ref xr, (nuint)i), Vector128.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
        if (i == n) return;
        Span<float> bx = stackalloc float[w], bg = stackalloc float[w];
        Pad(x[i..], bx);
        Pad(dy[i..], bg);
        Grad<TOp>(Vector128.Create<float>(bx), Vector128.Create<float>(bg)).CopyTo(bx);
        bx[..(n - i)].CopyTo(dx[i..]);
    }

    /// <summary>Copies the tail into a vector-sized buffer, zero-filling the unused lanes (computed, then dropped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Pad(ReadOnlySpan<float> tail, Span<float> buf)
    {
        buf.Clear();
        tail.CopyTo(buf);
    }
}
