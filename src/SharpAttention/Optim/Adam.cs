using SharpAttention.Kernels.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>Adam (torch.optim.Adam): L2 weight decay added to the gradient; set decoupledWeightDecay
/// (or use <see cref="AdamW"/>) for decay applied to the weights directly.</summary>
public class Adam : Optimizer
{
    readonly double beta1, beta2, eps, weightDecay;
    readonly bool amsgrad, decoupled;
    readonly Tensor?[] expAvg, expAvgSq, maxExpAvgSq;
    long step;

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false, bool decoupledWeightDecay = false) : base(parameters)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), $"adam: invalid learning rate {lr}");
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"adam: betas ({beta1}, {beta2}) must lie in [0, 1)");
        LearningRate = lr;
        (this.beta1, this.beta2, this.eps, this.weightDecay, this.amsgrad, decoupled) = (beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        expAvg = new Tensor?[Params.Length];
        expAvgSq = new Tensor?[Params.Length];
        maxExpAvgSq = new Tensor?[Params.Length];
    }

    /// <summary>Number of updates taken so far.</summary>
    public long StepCount => step;

    public override void Step()
    {
        step++;
        for (int i = 0; i < Params.Length; i++)
        {
            var p = Params[i];
            if (p.Grad is not { } grad) continue;
            if (!ShapeUtil.SameShape(grad.Shape, p.Shape))
                throw new InvalidOperationException($"adam: gradient shape {ShapeUtil.Format(grad.Shape)} differs from parameter shape {ShapeUtil.Format(p.Shape)}");
            var g = grad.DType == p.DType ? grad.Contiguous() : grad.To(p.DType).Contiguous();
            var m = expAvg[i] ??= StateLike(p);
            var v = expAvgSq[i] ??= StateLike(p);
            var vMax = amsgrad ? maxExpAvgSq[i] ??= StateLike(p) : m;
            if (p.DType == DType.Float32)
                AdamKernel.Step(p.Span<float>(), g.Span<float>(), m.Span<float>(), v.Span<float>(), vMax.Span<float>(),
                                LearningRate, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step);
            else
                AdamKernel.Step(p.Span<double>(), g.Span<double>(), m.Span<double>(), v.Span<double>(), vMax.Span<double>(),
                                LearningRate, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step);
            p.BumpVersion();
        }
    }
}

/// <summary>AdamW (torch.optim.AdamW): Adam with decoupled weight decay, default 0.01.</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                          double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: true);
