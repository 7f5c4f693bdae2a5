using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Simd;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Optim;

/// <summary>
/// One Adam/AdamW update over a flat parameter (Kingma &amp; Ba 2015; Loshchilov &amp; Hutter 2019 for the decoupled
/// decay), with the same operation order as torch.optim.Adam's single-tensor path so results agree to rounding.
/// An operator struct runs it at every SIMD width; each lane does the scalar formula's exact IEEE operations (no
/// fused multiply-add), so every width and every thread count give the same bits as the scalar loop
/// (Reference/AdamReference.cs). Fixed chunks of the parameter are shared over the thread team.
/// </summary>
internal static class AdamKernel
{
    public static void Step<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq,
                               double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled,
                               bool amsgrad, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        var constants = new Constants<T>
        {
            StepSize = T.CreateTruncating(lr / biasCorrection1),
            SqrtBias2 = T.CreateTruncating(Math.Sqrt(biasCorrection2)),
            B1 = T.CreateTruncating(beta1),
            B2 = T.CreateTruncating(beta2),
            OneMinusB1 = T.CreateTruncating(1 - beta1),
            OneMinusB2 = T.CreateTruncating(1 - beta2),
            Eps = T.CreateTruncating(eps),
            WeightDecay = T.CreateTruncating(weightDecay),
            Decay = T.CreateTruncating(1 - lr * weightDecay),
            Decoupled = decoupled,
            L2 = !decoupled && weightDecay != 0,
            AmsGrad = amsgrad,
        };
        ChunkedFor.For(param.Length, 12, new Chunk<T>(param, grad, expAvg, expAvgSq, maxExpAvgSq, constants));
    }

    struct Constants<T>
    {
        public T StepSize, SqrtBias2, B1, B2, OneMinusB1, OneMinusB2, Eps, WeightDecay, Decay;
        public bool Decoupled, L2, AmsGrad;
    }

    readonly ref struct Chunk<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq, Constants<T> c)
        : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> param = param, expAvg = expAvg, expAvgSq = expAvgSq, maxExpAvgSq = maxExpAvgSq;
        readonly ReadOnlySpan<T> grad = grad;

        public void Run(int start, int end)
        {
            var op = new Update<T>(param, grad, expAvg, expAvgSq, c.AmsGrad ? maxExpAvgSq : expAvg, c);
            SimdLoop.Map<Update<T>, T>(ref op, start, end);
        }
    }

    /// <summary>The update of one position at every width; vmax aliases m when AMSGrad is off (never touched then).</summary>
    ref struct Update<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vmax, Constants<T> c) : IMapStep
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T p = ref MemoryMarshal.GetReference(p), g = ref MemoryMarshal.GetReference(g);
        readonly ref T m = ref MemoryMarshal.GetReference(m), v = ref MemoryMarshal.GetReference(v), vmax = ref MemoryMarshal.GetReference(vmax);
        readonly Constants<T> c = c;

        public void Step512(int i)
        {
            nuint k = (nuint)i;
            var pv = Vector512.LoadUnsafe(ref p, k);
            var gv = Vector512.LoadUnsafe(ref g, k);
            if (c.Decoupled) pv *= Vector512.Create(c.Decay);
            else if (c.L2) gv += Vector512.Create(c.WeightDecay) * pv;
            var mv = Vector512.LoadUnsafe(ref m, k) * Vector512.Create(c.B1) + gv * Vector512.Create(c.OneMinusB1);
            var vv = Vector512.LoadUnsafe(ref v, k) * Vector512.Create(c.B2) + Vector512.Create(c.OneMinusB2) * (gv * gv);
            var second = vv;
            if (c.AmsGrad)
            {
                second = Vector512.Max(Vector512.LoadUnsafe(ref vmax, k), vv);
                second.StoreUnsafe(ref vmax, k);
            }
            var denom = Vector512.Sqrt(second) / Vector512.Create(c.SqrtBias2) + Vector512.Create(c.Eps);
            (pv - Vector512.Create(c.StepSize) * (mv / denom)).StoreUnsafe(ref p, k);
            mv.StoreUnsafe(ref m, k);
            vv.StoreUnsafe(ref v, k);
        }

        public void Step256(int i)
        {
            nuint k = (nuint)i;
            var pv = Vector256.LoadUnsafe(ref p, k);
            var gv = Vector256.LoadUnsafe(ref g, k);
            if (c.Decoupled) pv *= Vector256.Create(c.Decay);
            else if (c.L2) gv += Vector256.Create(c.WeightDecay) * pv;
            var mv = Vector256.LoadUnsafe(ref m, k) * Vector256.Create(c.B1) + gv * Vector256.Create(c.OneMinusB1);
            var vv = Vector256.LoadUnsafe(ref v, k) * Vector256.Create(c.B2) + Vector256.Create(c.OneMinusB2) * (gv * gv);
            var second = vv;
            if (c.AmsGrad)
            {
                second = Vector256.Max(Vector256.LoadUnsafe(ref vmax, k), vv);
                second.StoreUnsafe(ref vmax, k);
            }
            var denom = Vector256.Sqrt(second) / Vector256.Create(c.SqrtBias2) + Vector256.Create(c.Eps);
            (pv - Vector256.Create(c.StepSize) * (mv / denom)).StoreUnsafe(ref p, k);
            mv.StoreUnsafe(ref m, k);
            vv.StoreUnsafe(ref v, k);
        }

        public void Step128(int i)
        {
            nuint k = (nuint)i;
            var pv = Vector128.LoadUnsafe(ref p, k);
            var gv = Vector128.LoadUnsafe(ref g, k);
            if (c.Decoupled) pv *= Vector128.Create(c.Decay);
            else if (c.L2) gv += Vector128.Create(c.WeightDecay) * pv;
            var mv = Vector128.LoadUnsafe(ref m, k) * Vector128.Create(c.B1) + gv * Vector128.Create(c.OneMinusB1);
            var vv = Vector128.LoadUnsafe(ref v, k) * Vector128.Create(c.B2) + Vector128.Create(c.OneMinusB2) * (gv * gv);
            var second = vv;
            if (c.AmsGrad)
            {
                second = Vector128.Max(Vector128.LoadUnsafe(ref vmax, k), vv);
                second.StoreUnsafe(ref vmax, k);
            }
            var denom = Vector128.Sqrt(second) / Vector128.Create(c.SqrtBias2) + Vector128.Create(c.Eps);
            (pv - Vector128.Create(c.StepSize) * (mv / denom)).StoreUnsafe(ref p, k);
            mv.StoreUnsafe(ref m, k);
            vv.StoreUnsafe(ref v, k);
        }

        public void Step1(int i)
        {
            ref T pi = ref Unsafe.Add(ref p, i);
            T gi = Unsafe.Add(ref g, i);
            if (c.Decoupled) pi *= c.Decay;
            else if (c.L2) gi += c.WeightDecay * pi;
            ref T mi = ref Unsafe.Add(ref m, i);
            ref T vi = ref Unsafe.Add(ref v, i);
            mi = mi * c.B1 + gi * c.OneMinusB1;
            vi = vi * c.B2 + c.OneMinusB2 * (gi * gi);
            T second = vi;
            if (c.AmsGrad)
            {
                ref T vm = ref Unsafe.Add(ref vmax, i);
                vm = T.Max(vm, second);
                second = vm;
            }
            T denom = T.Sqrt(second) / c.SqrtBias2 + c.Eps;
            pi -= c.StepSize * (mi / denom);
        }
    }
}
