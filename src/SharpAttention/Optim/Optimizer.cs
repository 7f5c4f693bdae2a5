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
            p.DetachFromScope();
        }
    }

    /// <summary>Learning rate used by the next <see cref="Step"/>; schedules set it.</summary>
    public double LearningRate { get; set; }

    /// <summary>Applies one update from the parameters' current gradients.</summary>
    public abstract void Step();

    /// <summary>Drops gradients (PyTorch's zero_grad(set_to_none=True)). Inside a <see cref="TensorScope"/>, the
    /// gradient buffers the autograd engine made are handed to that scope, so they return to the pool when it ends
    /// and the next backward reuses them; clone an old .Grad first if you need it after the scope.</summary>
    public void ZeroGrad()
    {
        var scope = TensorScope.Current;
        foreach (var p in Params)
        {
            if (scope != null && p.Grad is { } g && g.Storage is { IsEngineGrad: true, Scope: null, IsReleased: false } s)
            {
                s.IsEngineGrad = false;
                scope.Add(s);
            }
            p.Grad = null;
        }
    }

    /// <summary>A zero tensor shaped like <paramref name="p"/> for optimizer state, which must outlive any scope.</summary>
    protected static Tensor StateLike(Tensor p) => Tensor.ZerosLike(p).DetachFromScope();
}
