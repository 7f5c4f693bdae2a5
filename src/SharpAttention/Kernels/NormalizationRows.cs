using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Simd;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// The row machinery layer norm and RMS norm share. RMS norm is layer norm with the mean taken as 0 and no bias:
/// x̂ = (x − m)·rstd, y = x̂·w + b; backward dx = rstd·(dx̂ − c₁ − x̂·c₂) with dx̂ = dy∘w, c₁ = mean(dx̂) (0 for RMS)
/// and c₂ = mean(dx̂∘x̂), dw += Σ_rows dy∘x̂, db += Σ_rows dy. Each row is a handful of passes over L1-resident data
/// through operator structs (one fused multiply-add per element where the formula has one, so every SIMD width gives
/// the same bits). Rows run in parallel; dw and db are summed per fixed chunk of rows into private partials that are
/// then added in chunk order, so the gradients are bit-identical for any thread count.
/// </summary>
internal static class NormalizationRows
{
    /// <summary>One row's y = ((x − mean)·rstd)·w + b (mean 0 for RMS norm); empty weight or bias spans mean none.</summary>
    public static void Apply<T>(Span<T> y, ReadOnlySpan<T> x, T mean, T rstd, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var op = new Normalize<T>(x, mean, rstd, weight, bias, y);
        SimdLoop.Map<Normalize<T>, T>(ref op, 0, x.Length);
    }

    /// <summary>
    /// The mean of a row, within about half an ulp of T on every SIMD width. Σx alone is not enough: its per-block
    /// partials are summed in T lanes, each addition rounding at the magnitude of the running sum, so on data with a
    /// large offset against its spread the error grows with the offset and with the lane chains' length (4 float lanes
    /// at 128 bits: a row of 188 values near 50 came out 2.3 ulps off, and layer norm's y inherits that error times
    /// rstd·w). So the first-pass mean m₁ is corrected by the mean deviation from it, m = m₁ + Σ(x − m₁)/n, whose
    /// terms are the size of the spread, not of the offset: the corrected two-pass algorithm of Chan, Golub and
    /// LeVeque (1983), one extra pass over a row that is in L1. PyTorch's CPU layer norm gets the same insensitivity
    /// from Welford's running-mean update (RowwiseMoments in ATen's native/cpu/moments_utils.h), at more work per
    /// element than one subtraction and one addition.
    /// Non-finite inputs keep the first-pass mean, so NaN and ±inf propagate as before.
    /// </summary>
    public static T Mean<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        T m1 = T.CreateTruncating(ReduceKernel.Sum(x) / n);
        if (!T.IsFinite(m1)) return m1;
        var op = new Deviation<T>(x, m1);
        double correction = SimdLoop.Sum<Deviation<T>, T>(ref op, n) / n;
        return double.IsFinite(correction) ? T.CreateTruncating(double.CreateTruncating(m1) + correction) : m1;
    }

    /// <summary>Σ (x − m)², in T lanes per block and double across blocks (the second pass of a two-pass variance).</summary>
    public static double SumOfSquaredDeviations<T>(ReadOnlySpan<T> x, T m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var op = new SquaredDeviation<T>(x, m);
        return SimdLoop.Sum<SquaredDeviation<T>, T>(ref op, x.Length);
    }

    /// <summary>Rows per chunk of the dw/db partial sums: a function of n only, never of the thread count.</summary>
    static int RowsPerChunk(int n) => Math.Clamp(16384 / Math.Max(n, 1), 1, 64);

    /// <summary>The shared backward. mean empty = RMS norm (mean 0, no c₁). dx is overwritten; dweight and dbias
    /// accumulate; empty dx, dweight or dbias spans skip that gradient.</summary>
    public static void Backward<T>(Span<T> dx, Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                   ReadOnlySpan<T> weight, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = rstd.Length;
        if (n == 0 || rows == 0) return;
        int perChunk = RowsPerChunk(n);
        int chunks = (rows + perChunk - 1) / perChunk;
        bool partials = !dweight.IsEmpty || !dbias.IsEmpty;
        // Per chunk: n partial dw values then n partial db values.
        T[]? rented = partials ? ArrayPool<T>.Shared.Rent(chunks * 2 * n) : null;
        try
        {
            var part = partials ? rented.AsSpan(0, chunks * 2 * n) : default;
            part.Clear();
            var body = new BackwardChunks<T>(dx, dy, x, weight, mean, rstd, n, perChunk, part, !dweight.IsEmpty, !dbias.IsEmpty);
            ChunkedFor.Each(chunks, (long)perChunk * n * 8, body);
            for (int c = 0; c < chunks && partials; c++)
            {
                if (!dweight.IsEmpty) TensorPrimitives.Add(dweight, part.Slice(c * 2 * n, n), dweight);
                if (!dbias.IsEmpty) TensorPrimitives.Add(dbias, part.Slice(c * 2 * n + n, n), dbias);
            }
        }
        finally
        {
            if (rented != null) ArrayPool<T>.Shared.Return(rented);
        }
    }

    readonly ref struct BackwardChunks<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, int n, int perChunk, Span<T> partials, bool wantDw, bool wantDb) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> dx = dx, partials = partials;
        readonly ReadOnlySpan<T> dy = dy, x = x, weight = weight, mean = mean, rstd = rstd;

        public void Run(int start, int end)
        {
            for (int c = start; c < end; c++)
            {
                int rowEnd = Math.Min(rstd.Length, (c + 1) * perChunk);
                for (int r = c * perChunk; r < rowEnd; r++) Row(c, r);
            }
        }

        void Row(int chunk, int r)
        {
            var dyr = dy.Slice(r * n, n);
            var xr = x.Slice(r * n, n);
            T m = mean.IsEmpty ? T.Zero : mean[r], s = rstd[r];
            if (wantDw || wantDb)
            {
                var acc = new AccumulateParams<T>(dyr, xr, m, s, partials.Slice(chunk * 2 * n, n), partials.Slice(chunk * 2 * n + n, n), wantDw, wantDb);
                SimdLoop.Map<AccumulateParams<T>, T>(ref acc, 0, n);
            }
            if (dx.IsEmpty) return;
            // c₁ = mean(dx̂), c₂ = mean(dx̂∘x̂); dx̂ = dy∘w, or dy without a weight.
            double s1 = mean.IsEmpty ? 0 : weight.IsEmpty ? ReduceKernel.Sum(dyr) : ReduceKernel.Dot(dyr, weight);
            var term = new GradTimesXhat<T>(dyr, weight, xr, m, s);
            double s2 = SimdLoop.Sum<GradTimesXhat<T>, T>(ref term, n);
            var op = new InputGrad<T>(dyr, weight, xr, m, s, T.CreateTruncating(s1 / n), T.CreateTruncating(s2 / n), dx.Slice(r * n, n));
            SimdLoop.Map<InputGrad<T>, T>(ref op, 0, n);
        }
    }

    /// <summary>y = ((x − m)·s)·w + b; w and b optional.</summary>
    ref struct Normalize<T>(ReadOnlySpan<T> x, T m, T s, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y) : IMapStep
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T x = ref MemoryMarshal.GetReference(x), w = ref MemoryMarshal.GetReference(w), b = ref MemoryMarshal.GetReference(b);
        readonly ref T y = ref MemoryMarshal.GetReference(y);
        readonly bool hasW = !w.IsEmpty, hasB = !b.IsEmpty;

        public void Step512(int i)
        {
            var v = (Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(m)) * Vector512.Create(s);
            if (hasW && hasB) v = VectorMath.Fma(v, Vector512.LoadUnsafe(ref w, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i));
            else if (hasW) v *= Vector512.LoadUnsafe(ref w, (nuint)i);
            else if (hasB) v += Vector512.LoadUnsafe(ref b, (nuint)i);
            v.StoreUnsafe(ref y, (nuint)i);
        }

        public void Step256(int i)
        {
            var v = (Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(m)) * Vector256.Create(s);
            if (hasW && hasB) v = VectorMath.Fma(v, Vector256.LoadUnsafe(ref w, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i));
            else if (hasW) v *= Vector256.LoadUnsafe(ref w, (nuint)i);
            else if (hasB) v += Vector256.LoadUnsafe(ref b, (nuint)i);
            v.StoreUnsafe(ref y, (nuint)i);
        }

        public void Step128(int i)
        {
            var v = (Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(m)) * Vector128.Create(s);
            if (hasW && hasB) v = VectorMath.Fma(v, Vector128.LoadUnsafe(ref w, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i));
            else if (hasW) v *= Vector128.LoadUnsafe(ref w, (nuint)i);
            else if (hasB) v += Vector128.LoadUnsafe(ref b, (nuint)i);
            v.StoreUnsafe(ref y, (nuint)i);
        }

        public void Step1(int i)
        {
            T v = (Unsafe.Add(ref x, i) - m) * s;
            if (hasW && hasB) v = T.FusedMultiplyAdd(v, Unsafe.Add(ref w, i), Unsafe.Add(ref b, i));
            else if (hasW) v *= Unsafe.Add(ref w, i);
            else if (hasB) v += Unsafe.Add(ref b, i);
            Unsafe.Add(ref y, i) = v;
        }
    }

    /// <summary>x − m.</summary>
    ref struct Deviation<T>(ReadOnlySpan<T> x, T m) : ISumStep<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T x = ref MemoryMarshal.GetReference(x);

        public Vector512<T> Term512(int i) => Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(m);

        public Vector256<T> Term256(int i) => Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(m);

        public Vector128<T> Term128(int i) => Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(m);

        public T Term1(int i) => Unsafe.Add(ref x, i) - m;
    }

    /// <summary>(x − m)².</summary>
    ref struct SquaredDeviation<T>(ReadOnlySpan<T> x, T m) : ISumStep<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T x = ref MemoryMarshal.GetReference(x);

        public Vector512<T> Term512(int i)
        {
            var d = Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(m);
            return d * d;
        }

        public Vector256<T> Term256(int i)
        {
            var d = Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(m);
            return d * d;
        }

        public Vector128<T> Term128(int i)
        {
            var d = Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(m);
            return d * d;
        }

        public T Term1(int i)
        {
            T d = Unsafe.Add(ref x, i) - m;
            return d * d;
        }
    }

    /// <summary>dw += dy∘x̂, db += dy, with x̂ = (x − m)·s.</summary>
    ref struct AccumulateParams<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, T m, T s, Span<T> dw, Span<T> db, bool wantDw, bool wantDb)
        : IMapStep where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T dy = ref MemoryMarshal.GetReference(dy), x = ref MemoryMarshal.GetReference(x);
        readonly ref T dw = ref MemoryMarshal.GetReference(dw), db = ref MemoryMarshal.GetReference(db);

        public void Step512(int i)
        {
            var g = Vector512.LoadUnsafe(ref dy, (nuint)i);
            if (wantDw)
            {
                var xhat = (Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(m)) * Vector512.Create(s);
                VectorMath.Fma(g, xhat, Vector512.LoadUnsafe(ref dw, (nuint)i)).StoreUnsafe(ref dw, (nuint)i);
            }
            if (wantDb) (Vector512.LoadUnsafe(ref db, (nuint)i) + g).StoreUnsafe(ref db, (nuint)i);
        }

        public void Step256(int i)
        {
            var g = Vector256.LoadUnsafe(ref dy, (nuint)i);
            if (wantDw)
            {
                var xhat = (Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(m)) * Vector256.Create(s);
                VectorMath.Fma(g, xhat, Vector256.LoadUnsafe(ref dw, (nuint)i)).StoreUnsafe(ref dw, (nuint)i);
            }
            if (wantDb) (Vector256.LoadUnsafe(ref db, (nuint)i) + g).StoreUnsafe(ref db, (nuint)i);
        }

        public void Step128(int i)
        {
            var g = Vector128.LoadUnsafe(ref dy, (nuint)i);
            if (wantDw)
            {
                var xhat = (Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(m)) * Vector128.Create(s);
                VectorMath.Fma(g, xhat, Vector128.LoadUnsafe(ref dw, (nuint)i)).StoreUnsafe(ref dw, (nuint)i);
            }
            if (wantDb) (Vector128.LoadUnsafe(ref db, (nuint)i) + g).StoreUnsafe(ref db, (nuint)i);
        }

        public void Step1(int i)
        {
            T g = Unsafe.Add(ref dy, i);
            if (wantDw) Unsafe.Add(ref dw, i) = T.FusedMultiplyAdd(g, (Unsafe.Add(ref x, i) - m) * s, Unsafe.Add(ref dw, i));
            if (wantDb) Unsafe.Add(ref db, i) += g;
        }
    }

    /// <summary>dx̂∘x̂ = (dy∘w)∘((x − m)·s); w optional.</summary>
    ref struct GradTimesXhat<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> w, ReadOnlySpan<T> x, T m, T s) : ISumStep<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T dy = ref MemoryMarshal.GetReference(dy), w = ref MemoryMarshal.GetReference(w), x = ref MemoryMarshal.GetReference(x);
        readonly bool hasW = !w.IsEmpty;

        public Vector512<T> Term512(int i)
        {
            var g = Vector512.LoadUnsafe(ref dy, (nuint)i);
            if (hasW) g *= Vector512.LoadUnsafe(ref w, (nuint)i);
            return g * ((Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(m)) * Vector512.Create(s));
        }

        public Vector256<T> Term256(int i)
        {
            var g = Vector256.LoadUnsafe(ref dy, (nuint)i);
            if (hasW) g *= Vector256.LoadUnsafe(ref w, (nuint)i);
            return g * ((Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(m)) * Vector256.Create(s));
        }

        public Vector128<T> Term128(int i)
        {
            var g = Vector128.LoadUnsafe(ref dy, (nuint)i);
            if (hasW) g *= Vector128.LoadUnsafe(ref w, (nuint)i);
            return g * ((Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(m)) * Vector128.Create(s));
        }

        public T Term1(int i)
        {
            T g = Unsafe.Add(ref dy, i);
            if (hasW) g *= Unsafe.Add(ref w, i);
            return g * ((Unsafe.Add(ref x, i) - m) * s);
        }
    }

    /// <summary>dx = (dx̂ − x̂·c₂ − c₁)·s with dx̂ = dy∘w and x̂ = (x − m)·s; w optional.</summary>
    ref struct InputGrad<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> w, ReadOnlySpan<T> x, T m, T s, T c1, T c2, Span<T> dx) : IMapStep
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T dy = ref MemoryMarshal.GetReference(dy), w = ref MemoryMarshal.GetReference(w), x = ref MemoryMarshal.GetReference(x);
        readonly ref T dx = ref MemoryMarshal.GetReference(dx);
        readonly bool hasW = !w.IsEmpty;

        public void Step512(int i)
        {
            var g = Vector512.LoadUnsafe(ref dy, (nuint)i);
            if (hasW) g *= Vector512.LoadUnsafe(ref w, (nuint)i);
            var xhat = (Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(m)) * Vector512.Create(s);
            ((VectorMath.Fma(xhat, Vector512.Create(-c2), g) - Vector512.Create(c1)) * Vector512.Create(s)).StoreUnsafe(ref dx, (nuint)i);
        }

        public void Step256(int i)
        {
            var g = Vector256.LoadUnsafe(ref dy, (nuint)i);
            if (hasW) g *= Vector256.LoadUnsafe(ref w, (nuint)i);
            var xhat = (Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(m)) * Vector256.Create(s);
            ((VectorMath.Fma(xhat, Vector256.Create(-c2), g) - Vector256.Create(c1)) * Vector256.Create(s)).StoreUnsafe(ref dx, (nuint)i);
        }

        public void Step128(int i)
        {
            var g = Vector128.LoadUnsafe(ref dy, (nuint)i);
            if (hasW) g *= Vector128.LoadUnsafe(ref w, (nuint)i);
            var xhat = (Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(m)) * Vector128.Create(s);
            ((VectorMath.Fma(xhat, Vector128.Create(-c2), g) - Vector128.Create(c1)) * Vector128.Create(s)).StoreUnsafe(ref dx, (nuint)i);
        }

        public void Step1(int i)
        {
            T g = Unsafe.Add(ref dy, i);
            if (hasW) g *= Unsafe.Add(ref w, i);
            T xhat = (Unsafe.Add(ref x, i) - m) * s;
            Unsafe.Add(ref dx, i) = (T.FusedMultiplyAdd(xhat, -c2, g) - c1) * s;
        }
    }
}
