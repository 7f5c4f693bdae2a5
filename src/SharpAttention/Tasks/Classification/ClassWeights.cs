using SharpAttention.Tensors;

namespace SharpAttention.Tasks.Classification;

/// <summary>Per-class loss weights for imbalanced data, passed to cross-entropy's weight.</summary>
public static class ClassWeights
{
    /// <summary>
    /// scikit-learn's "balanced" weights n / (C · n_c): every class then carries the same total weight, as if the
    /// data were balanced. A class without examples gets weight 0 (it has no examples to weight).
    /// </summary>
    /// <returns>float32 (C)</returns>
    public static Tensor Balanced(IReadOnlyList<int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0 || counts.Any(c => c < 0)) throw new ArgumentException($"class weights: counts [{string.Join(", ", counts)}] must be non-negative, one per class", nameof(counts));
        double n = counts.Sum(c => (double)c);
        return Tensor.FromArray(counts.Select(c => c == 0 ? 0f : (float)(n / (counts.Count * (double)c))).ToArray(), counts.Count);
    }
}
