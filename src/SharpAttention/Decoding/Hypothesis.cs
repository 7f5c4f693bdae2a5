using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// One decoded sequence: the generated tokens (the prompt or start token not included; the end token last when the
/// sequence finished) and <see cref="Score"/>, the sum of the model's log-probabilities of those tokens (natural log,
/// before any temperature or filtering). <see cref="PenalizedScore"/> is what beam search ranks by: Score divided by
/// the length penalty (equal to Score for greedy decoding, sampling, and a length penalty of 0).
/// </summary>
/// <param name="Tokens">generated token ids</param>
/// <param name="Score">Σ log p(token | prefix)</param>
/// <param name="PenalizedScore">Score / length penalty</param>
/// <param name="Finished">ended with the end token (false: stopped at the maximum length)</param>
public sealed record Hypothesis(IReadOnlyList<long> Tokens, double Score, double PenalizedScore, bool Finished)
{
    /// <summary>The hypotheses' tokens as an Int64 (N, T) batch, right-padded with <paramref name="padId"/> to the longest.</summary>
    public static Tensor ToTensor(IReadOnlyList<Hypothesis> hypotheses, long padId)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        int n = hypotheses.Count, t = n == 0 ? 0 : hypotheses.Max(h => h.Tokens.Count);
        var data = new long[n * t];
        Array.Fill(data, padId);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hypotheses[i].Tokens.Count; j++) data[i * t + j] = hypotheses[i].Tokens[j];
        return Tensor.FromArray(data, n, t);
    }
}
