using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>Base of the optimizers (torch.optim.Optimizer): holds the parameters and clears their gradients.</summary>
public abstract class Optimizer
{
    protected readonly Tensor[] Params;

    protected Optimizer(IEnumerable<Tensor> parameters)
    {
        Params = parameters.ToArray();
        for (int i = 0; i < Params.Length; i++)
        {
            var p = Params[i];
            if (!p.IsLeaf || !p.RequiresGrad)
                throw new ArgumentException($"optimizer: parameter {i} of shape {ShapeUtil.Format(p.Shape)} must be a leaf that requires grad");
            if (!p.IsContiguous) throw new ArgumentException($"optimizer: parameter {i} of shape {ShapeUtil.Format(p.Shape)} must be contiguous");
        }
    }

    /// <summary>Learning rate used by the next <see cref="Step"/>; schedules set it.</summary>
    public double LearningRate { get; set; }

    /// <summary>Applies one update from the parameters' current gradients.</summary>
    public abstract void Step();

    /// <summary>Drops gradients (PyTorch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Params) p.Grad = null;
    }
}
