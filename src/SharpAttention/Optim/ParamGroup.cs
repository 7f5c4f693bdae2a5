using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>
/// A set of parameters with its own learning rate and weight decay (an entry of torch's
/// <c>optimizer.param_groups</c>). Options left null take the optimizer's defaults. Schedules change
/// <see cref="Lr"/>; <see cref="InitialLr"/> keeps the value they scale (torch's <c>initial_lr</c>).
/// </summary>
public sealed class ParamGroup
{
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Params = parameters.ToArray();
        RequestedLr = lr;
        RequestedWeightDecay = weightDecay;
    }

    public IReadOnlyList<Tensor> Params { get; }

    /// <summary>Learning rate of the next step.</summary>
    public double Lr { get; set; }

    /// <summary>The learning rate the group started with; schedules multiply it.</summary>
    public double InitialLr { get; internal set; }

    public double WeightDecay { get; set; }

    internal double? RequestedLr { get; }
    internal double? RequestedWeightDecay { get; }

    /// <summary>
    /// The usual Transformer split (nanoGPT's configure_optimizers; Hugging Face's "no_decay" list): matrices and
    /// embeddings (2-D and up) in a first group that takes the optimizer's weight decay, vectors — biases, norm
    /// gains, a pooling query — in a second group with none, as shrinking them towards zero only fights what they
    /// learn. An empty group is left out.
    /// </summary>
    public static ParamGroup[] DecayMatricesOnly(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var all = parameters.ToArray();
        var groups = new List<ParamGroup>(2);
        if (all.Any(p => p.Dim >= 2)) groups.Add(new ParamGroup(all.Where(p => p.Dim >= 2)));
        if (all.Any(p => p.Dim < 2)) groups.Add(new ParamGroup(all.Where(p => p.Dim < 2), weightDecay: 0));
        return [.. groups];
    }
}
