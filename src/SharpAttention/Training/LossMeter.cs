namespace SharpAttention.Training;

/// <summary>
/// Token-weighted mean of a per-token loss across batches, and the perplexity exp(mean NLL) derived from it
/// (Jelinek et al. 1977; the usual language-model figure). Add each batch's mean loss with its token count.
/// </summary>
public sealed class LossMeter
{
    double sum;

    public long Tokens { get; private set; }

    /// <summary>Adds a batch whose mean loss over <paramref name="tokens"/> tokens was <paramref name="meanLoss"/>.</summary>
    public void Add(double meanLoss, long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        sum += meanLoss * tokens;
        Tokens += tokens;
    }

    /// <summary>The mean loss per token (NaN before any token, so an empty evaluation is never reported as 0).</summary>
    public double Mean => Tokens == 0 ? double.NaN : sum / Tokens;

    /// <summary>exp(mean cross-entropy in nats).</summary>
    public double Perplexity => Math.Exp(Mean);

    public void Reset()
    {
        sum = 0;
        Tokens = 0;
    }
}
