using SharpAttention.Kernels.Attention;
using SharpAttention.Kernels.Reference;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Fused scaled dot-product attention (FlashAttention, Dao et al. 2022; FlashAttention-2, Dao 2023): forward saves
/// only the output and one logsumexp per query row; backward recomputes the probabilities from them, so no (L, S)
/// tensor exists at any point. float32 runs the fused kernel, float64 its reference twin. A float mask that
/// requires grad goes through the composed path instead (its gradient is an (L, S) tensor anyway).
/// </summary>
internal static class ScaledDotProductAttention
{
    public static Tensor Forward(AttentionArgs a)
    {
        if (a.Mask is { RequiresGrad: true } && GradMode.IsEnabled) return F.ComposedAttention(a, out _);
        var dtype = a.Query.DType;
        var problem = new AttentionProblem(a.B, a.H, a.Hkv, a.L, a.S, a.E, a.Ev, a.Scale, a.IsCausal, a.CausalOffset, a.DropoutP, a.Seed);
        bool f64 = dtype == DType.Float64;
        var q = Dense(a.Query, f64);   // (B, H, L, E)
        var k = Dense(a.Key, f64);     // (B, Hkv, S, E)
        var v = Dense(a.Value, f64);   // (B, Hkv, S, Ev)
        var o = Tensor.Empty([a.B, a.H, a.L, a.Ev], dtype);   // (B, H, L, Ev)
        var lse = Tensor.Empty([a.B, a.H, a.L], dtype);       // (B, H, L)
        var mask = new MaskView(a.Mask);
        long[] lengths = a.KeyLengths?.ToInt64Array() ?? [];
        if (f64)
            AttentionReference.Forward(o.Span<double>(), lse.Span<double>(), q.Span<double>(), k.Span<double>(), v.Span<double>(),
                                       problem, lengths, mask.Kind, mask.Bools, mask.Doubles, mask.Strides);
        else
            Fused(problem, q, k, v, o, lse, mask, lengths, null);
        if (Graph.NeedsGrad(a.Query, a.Key, a.Value))
            o.SetGradFn(new Backward(a.Query, a.Key, a.Value, q, k, v, o, lse, mask, lengths, problem));
        return o;
    }

    /// <summary>x itself when the kernel can read it (contiguous for the reference; last dim contiguous for the fused
    /// kernel, which takes row strides), else a contiguous copy outside the graph.</summary>
    static Tensor Dense(Tensor x, bool contiguous) =>
        (contiguous ? x.IsContiguous : x.Size(-1) <= 1 || x.Strides[^1] == 1) ? x : x.CopyRaw();

    /// <summary>Calls the fused float32 kernel: forward when grads is null, else backward.</summary>
    static unsafe void Fused(in AttentionProblem problem, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, in MaskView mask,
        long[] lengths, (Tensor DO, Tensor DQ, Tensor DK, Tensor DV, Tensor Delta)? grads)
    {
        if (o.NumEl == 0)
        {
            // No output element (no batch, head, query or value column): nothing depends on the inputs.
            if (grads is { } g0) { g0.DQ.FillRaw(0); g0.DK.FillRaw(0); g0.DV.FillRaw(0); }
            else lse.FillRaw(double.PositiveInfinity);
            return;
        }
        var g = grads ?? (o, o, o, o, o);
        fixed (float* pq = q.Storage.As<float>(), pk = k.Storage.As<float>(), pv = v.Storage.As<float>(), po = o.Storage.As<float>(),
               plse = lse.Storage.As<float>(), pdo = g.DO.Storage.As<float>(), pdq = g.DQ.Storage.As<float>(),
               pdk = g.DK.Storage.As<float>(), pdv = g.DV.Storage.As<float>(), pdelta = g.Delta.Storage.As<float>())
        fixed (long* plen = lengths)
        fixed (bool* pmb = mask.Kind == AttentionMaskKind.Bool ? mask.Tensor!.Storage.As<bool>() : null)
        fixed (float* pmf = mask.Kind == AttentionMaskKind.Additive ? mask.Tensor!.Storage.As<float>() : null)
        {
            var args = new FlashArgs
            {
                P = problem,
                Q = Rows(q, pq), K = Rows(k, pk), V = Rows(v, pv), O = Rows(o, po),
                Lse = plse + lse.Offset,
                KeyLengths = lengths.Length == 0 ? null : plen,
                MaskKind = mask.Kind,
                Mask = mask.Kind == AttentionMaskKind.Bool ? pmb + mask.Tensor!.Offset
                     : mask.Kind == AttentionMaskKind.Additive ? pmf + mask.Tensor!.Offset : null,
                MaskStrides = mask.Strides,
            };
            if (grads is null)
            {
                FlashForward.Run(args);
                return;
            }
            args.DO = Rows(g.DO, pdo);
            args.DQ = Rows(g.DQ, pdq);
            args.DK = Rows(g.DK, pdk);
            args.DV = Rows(g.DV, pdv);
            args.Delta = pdelta + g.Delta.Offset;
            long partials = FlashBackward.PartialFloats(problem);
            var scratch = partials > 0 ? Tensor.Empty([checked((int)partials)], DType.Float32) : null;
            fixed (float* ps = scratch?.Storage.As<float>())
            {
                args.DqPartials = ps;
                FlashBackward.Run(args);
            }
        }
    }

    static unsafe StridedRows Rows(Tensor t, float* storage) => new(storage + t.Offset, t.Strides[0], t.Strides[1], t.Strides[2]);

    /// <summary>A mask broadcast to (B, H, L, S) by strides (0 along broadcast dims), read in place.</summary>
    internal readonly struct MaskView
    {
        public readonly Tensor? Tensor;
        public readonly AttentionMaskKind Kind;
        public readonly MaskStrides Strides;

        public MaskView(Tensor? mask)
        {
            Tensor = mask;
            if (mask is null) return;
            Kind = mask.DType == DType.Bool ? AttentionMaskKind.Bool : AttentionMaskKind.Additive;
            Span<long> st = stackalloc long[4];
            for (int d = 0; d < mask.Dim; d++)
                st[4 - mask.Dim + d] = mask.Size(d) == 1 ? 0 : mask.Strides[d];
            Strides = new MaskStrides(st[0], st[1], st[2], st[3]);
        }

        public ReadOnlySpan<bool> Bools => Kind == AttentionMaskKind.Bool ? Tensor!.Storage.As<bool>().AsSpan(Tensor.Offset) : default;
        public ReadOnlySpan<double> Doubles =>
            Kind == AttentionMaskKind.Additive && Tensor!.DType == DType.Float64 ? Tensor.Storage.As<double>().AsSpan(Tensor.Offset) : default;
    }

    sealed class Backward(Tensor query, Tensor key, Tensor value, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse,
        MaskView mask, long[] lengths, AttentionProblem problem) : GradFn(query, key, value)
    {
        SavedTensor savedQ = new(q), savedK = new(k), savedV = new(v), savedO = new(o), savedLse = new(lse);
        SavedTensor savedMask = mask.Tensor is null ? default : new(mask.Tensor);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var (q, k, v, o, lse) = (savedQ.Get(), savedK.Get(), savedV.Get(), savedO.Get(), savedLse.Get());
            if (mask.Tensor is not null) savedMask.Get();
            var p = problem;
            bool f64 = q.DType == DType.Float64;
            var dO = Dense(grad, f64);
            var dq = Tensor.Empty([p.B, p.H, p.L, p.E], q.DType);
            var dk = Tensor.Empty([p.B, p.Hkv, p.S, p.E], q.DType);
            var dv = Tensor.Empty([p.B, p.Hkv, p.S, p.Ev], q.DType);
            if (f64)
                AttentionReference.Backward(dq.Span<double>(), dk.Span<double>(), dv.Span<double>(), dO.Span<double>(), q.Span<double>(),
                                            k.Span<double>(), v.Span<double>(), o.Span<double>(), lse.Span<double>(), p, lengths,
                                            mask.Kind, mask.Bools, mask.Doubles, mask.Strides);
            else
                Fused(p, q, k, v, o, lse, mask, lengths, (dO, dq, dk, dv, Tensor.Empty([p.B, p.H, p.L], DType.Float32)));
            return [NeedsGrad(0) ? dq : null, NeedsGrad(1) ? dk : null, NeedsGrad(2) ? dv : null];
        }

        protected override void ReleaseSaved()
        {
            savedQ.Clear();
            savedK.Clear();
            savedV.Clear();
            savedO.Clear();
            savedLse.Clear();
            savedMask.Clear();
        }
    }
}
