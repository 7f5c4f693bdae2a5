using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

/// <summary>y = exp(x − shift)·scale: the exponentials of a max- or logsumexp-shifted row that softmax and the
/// cross-entropy gradient are built from, in one pass (operator struct for <see cref="SimdLoop.Map"/>). The shift is
/// at least the row's maximum, so every exponent is ≤ 0 and float rows take <see cref="ExpNonPositive"/>.</summary>
internal ref struct ExpShifted<T>(ReadOnlySpan<T> x, T shift, T scale, Span<T> y) : IMapStep where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly ref T x = ref MemoryMarshal.GetReference(x);
    readonly ref T y = ref MemoryMarshal.GetReference(y);

    public void Step512(int i) =>
        (Exp(Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(shift)) * Vector512.Create(scale)).StoreUnsafe(ref y, (nuint)i);

    public void Step256(int i) =>
        (Exp(Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(shift)) * Vector256.Create(scale)).StoreUnsafe(ref y, (nuint)i);

    public void Step128(int i) =>
        (Exp(Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(shift)) * Vector128.Create(scale)).StoreUnsafe(ref y, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<T> Exp(Vector512<T> v) =>
        typeof(T) == typeof(float) ? ExpNonPositive.Exp(v.AsSingle()).As<float, T>() : VectorMath.Exp(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> Exp(Vector256<T> v) =>
        typeof(T) == typeof(float) ? ExpNonPositive.Exp(v.AsSingle()).As<float, T>() : VectorMath.Exp(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<T> Exp(Vector128<T> v) =>
        typeof(T) == typeof(float) ? ExpNonPositive.Exp(v.AsSingle()).As<float, T>() : VectorMath.Exp(v);

    public void Step1(int i) => Unsafe.Add(ref y, i) = T.Exp(Unsafe.Add(ref x, i) - shift) * scale;
}
