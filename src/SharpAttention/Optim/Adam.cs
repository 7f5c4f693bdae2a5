using SharpAttention.Kernels.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>Adam (torch.optim.Adam, Kingma &amp; Ba 2015): L2 weight decay added to the gradient, optional AMSGrad;
/// set decoupledWeightDecay (or use <see cref="AdamW"/>) for decay applied to the weights directly. State per
/// parameter: step, exp_avg, exp_avg_sq (and max_exp_avg_sq with AMSGrad), as torch names them.</summary>
public class Adam : Optimizer
{
    static readonly IReadOnlySet<string> Names = new HashSet<string> { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" };
    readonly double beta1, beta2, eps;
    readonly bool amsgrad, decoupled;

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false, bool decoupledWeightDecay = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay) { }

    public Adam(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
                double weightDecay = 0, bool amsgrad = false, bool decoupledWeightDecay = false)
        : base(paramGroups, lr, weightDecay)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || double.IsNaN(beta1) || double.IsNaN(beta2))
            throw new ArgumentOutOfRangeException(nameof(beta1), $"{GetType().Name.ToLowerInvariant()}: betas ({beta1}, {beta2}) must lie in [0, 1)");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), $"{GetType().Name.ToLowerInvariant()}: invalid epsilon {eps}");
        (this.beta1, this.beta2, this.eps, this.amsgrad, decoupled) = (beta1, beta2, eps, amsgrad, decoupledWeightDecay);
    }

    protected override IReadOnlySet<string> StateNames => Names;

    protected override void Update(Tensor p, Tensor g, ParamGroup group, Dictionary<string, Tensor> state)
    {
        long step = NextStep(state);
        var m = StateTensor(state, "exp_avg", p);
        var v = StateTensor(state, "exp_avg_sq", p);
        var vMax = amsgrad ? StateTensor(state, "max_exp_avg_sq", p) : m;
        if (p.DType == DType.Float32)
            AdamKernel.Step(p.Span<float>(), g.Span<float>(), m.Span<float>(), v.Span<float>(), vMax.Span<float>(),
                            group.Lr, beta1, beta2, eps, group.WeightDecay, decoupled, amsgrad, step);
        else
            AdamKernel.Step(p.Span<double>(), g.Span<double>(), m.Span<double>(), v.Span<double>(), vMax.Span<double>(),
                            group.Lr, beta1, beta2, eps, group.WeightDecay, decoupled, amsgrad, step);
    }

    static Tensor StateTensor(Dictionary<string, Tensor> state, string name, Tensor p)
    {
        if (!state.TryGetValue(name, out var t)) state[name] = t = StateLike(p);
        return t;
    }
}

/// <summary>AdamW (torch.optim.AdamW, Loshchilov &amp; Hutter 2019): Adam with decoupled weight decay, default 0.01.</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: true) { }

    public AdamW(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(paramGroups, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: true) { }
}
