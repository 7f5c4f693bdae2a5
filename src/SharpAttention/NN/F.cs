namespace SharpAttention.NN;

/// <summary>
/// Functional interface, PyTorch's torch.nn.functional: stateless ops that modules call with their parameters.
/// Split by topic over F.*.cs files.
/// </summary>
public static partial class F
{
}

/// <summary>How a loss reduces over the batch (PyTorch's reduction='mean'|'sum'|'none').</summary>
public enum Reduction
{
    Mean,
    Sum,
    None,
}
