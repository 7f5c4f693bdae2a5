using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Inverted dropout (torch.nn.functional.dropout): in training each element is zeroed with probability p
/// and the rest are scaled by 1/(1−p), so the expected value is unchanged and evaluation needs no rescaling.
/// The keep-mask is counter-based (<see cref="DropoutKernel"/>): forward draws one 64-bit key from the seeded
/// <see cref="Generator"/>, element i is kept when a hash of (key, i) falls below the keep threshold, and backward
/// regenerates the same mask from the key — nothing of the size of x is saved, and the mask is computed in parallel.
/// PyTorch draws its CPU mask element by element from its own generator, so the masks differ bit for bit from
/// PyTorch's while following the same distribution.</summary>
internal static class Dropout
{
    public static Tensor Forward(Tensor x, double p, bool training, Generator? generator)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentException($"dropout: probability has to be between 0 and 1, but got {p}", nameof(p));
        if (!training || p == 0 || x.NumEl == 0) return x;
        Unary.RequireFloat(x, "dropout");
        double keepProb = 1 - p;
        // p = 1 keeps nothing and draws nothing, so the generator's stream is not advanced (as in PyTorch).
        ulong key = 0;
        if (p < 1)
        {
            var g = generator ?? Generator.Default;
            lock (g) key = g.NextUInt64();
        }
        var mask = new Mask(key, DropoutKernel.KeepThreshold(keepProb), keepProb);
        var y = mask.Apply(x);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, mask));
        return y;
    }

    /// <summary>Everything that defines one call's mask: its key, threshold and scale.</summary>
    readonly record struct Mask(ulong Key, uint Threshold, double KeepProb)
    {
        /// <summary>keep ? t / keepProb : t·0 into a new contiguous tensor of t's shape (t in logical order).</summary>
        public Tensor Apply(Tensor t)
        {
            var src = t.IsContiguous ? t : t.CopyRaw();
            var y = Tensor.Empty(t.Shape, t.DType);
            if (t.DType == DType.Float32)
                DropoutKernel.Apply(src.Span<float>(), Key, Threshold, (float)KeepProb, y.Span<float>());
            else
                DropoutKernel.Apply(src.Span<double>(), Key, Threshold, KeepProb, y.Span<double>());
            return y;
        }
    }

    sealed class Backward(Tensor x, Mask mask) : GradFn(x)
    {
        protected internal override Tensor?[] Apply(Tensor grad) => [mask.Apply(grad)];
    }
}
