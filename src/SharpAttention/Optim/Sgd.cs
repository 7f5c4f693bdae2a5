using SharpAttention.Kernels.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay
/// (torch.optim.SGD's update rule; the first step copies the gradient into the momentum buffer as torch does).
/// State per parameter: momentum_buffer.
/// </summary>
public sealed class Sgd : Optimizer
{
    static readonly IReadOnlySet<string> Names = new HashSet<string> { "momentum_buffer" };
    readonly double momentum, dampening;
    readonly bool nesterov, maximize;

    public Sgd(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov, maximize) { }

    public Sgd(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(paramGroups, lr, weightDecay)
    {
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), $"sgd: invalid momentum {momentum}");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("sgd: Nesterov momentum requires a momentum and zero dampening");
        (this.momentum, this.dampening, this.nesterov, this.maximize) = (momentum, dampening, nesterov, maximize);
    }

    protected override IReadOnlySet<string> StateNames => Names;

    protected override void Update(Tensor p, Tensor g, ParamGroup group, Dictionary<string, Tensor> state)
    {
        Tensor? buffer = null;
        bool first = false;
        if (momentum != 0 && !state.TryGetValue("momentum_buffer", out buffer))
        {
            state["momentum_buffer"] = buffer = StateLike(p);
            first = true;
        }
        if (p.DType == DType.Float32)
            SgdKernel.Step(p.Span<float>(), g.Span<float>(), buffer is null ? default : buffer.Span<float>(), group.Lr,
                           momentum, dampening, group.WeightDecay, nesterov, maximize, first);
        else
            SgdKernel.Step(p.Span<double>(), g.Span<double>(), buffer is null ? default : buffer.Span<double>(), group.Lr,
                           momentum, dampening, group.WeightDecay, nesterov, maximize, first);
    }
}
