using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Inverted dropout (torch.nn.functional.dropout): in training each element is zeroed with probability p
/// and the rest are scaled by 1/(1−p), so the expected value is unchanged and evaluation needs no rescaling.
/// The keep-mask comes from a seeded <see cref="Generator"/> and is saved (one bool per element) for backward,
/// which applies the same mask and scale to the gradient.</summary>
internal static class Dropout
{
    public static Tensor Forward(Tensor x, double p, bool training, Generator? generator)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentException($"dropout: probability has to be between 0 and 1, but got {p}", nameof(p));
        if (!training || p == 0 || x.NumEl == 0) return x;
        Unary.RequireFloat(x, "dropout");
        double keepProb = 1 - p;
        var keep = Tensor.Empty(x.Shape, DType.Bool);
        // p = 1 keeps nothing and draws nothing, so the generator's stream is not advanced (as in PyTorch).
        if (p < 1)
        {
            var g = generator ?? Generator.Default;
            lock (g) FillKeepMask(g, keepProb, keep.Span<bool>());
        }
        else keep.Span<bool>().Clear();
        var y = Apply(x, keep, keepProb);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, keep, keepProb));
        return y;
    }

    /// <summary>keep[i] = Bernoulli(keepProb). Each 64-bit draw yields two 32-bit uniforms, which resolves
    /// probabilities to 2⁻³² while halving the generator calls.</summary>
    static void FillKeepMask(Generator g, double keepProb, Span<bool> keep)
    {
        ulong threshold = (ulong)(keepProb * 4294967296.0);
        int i = 0;
        for (; i + 1 < keep.Length; i += 2)
        {
            ulong r = g.NextUInt64();
            keep[i] = (r & 0xFFFF_FFFFUL) < threshold;
            keep[i + 1] = (r >> 32) < threshold;
        }
        if (i < keep.Length) keep[i] = (g.NextUInt64() & 0xFFFF_FFFFUL) < threshold;
    }

    /// <summary>keep ? x / keepProb : x·0 into a new contiguous tensor of x's shape.</summary>
    static Tensor Apply(Tensor x, Tensor keep, double keepProb)
    {
        var src = x.IsContiguous ? x : x.CopyRaw();
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32)
            DropoutKernel.Apply(src.Span<float>(), keep.Span<bool>(), (float)keepProb, y.Span<float>());
        else
            DropoutKernel.Apply(src.Span<double>(), keep.Span<bool>(), keepProb, y.Span<double>());
        return y;
    }

    sealed class Backward(Tensor x, Tensor keep, double keepProb) : GradFn(x)
    {
        // The mask is private to this node (never handed out), so it needs no version check.
        Tensor? keep = keep;

        protected internal override Tensor?[] Apply(Tensor grad) =>
            [Dropout.Apply(grad, keep ?? throw new InvalidOperationException("dropout: saved mask was already released"), keepProb)];

        protected override void ReleaseSaved()
        {
            keep?.Storage.Release();   // the mask was made for this node alone: its memory can go back now
            keep = null;
        }
    }
}
