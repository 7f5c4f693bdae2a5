using SharpAttention.Tensors;

namespace SharpAttention.Data;

/// <summary>
/// BERT's masking for masked-language-model pre-training (Devlin et al. 2019, §3.1), as Hugging Face's
/// DataCollatorForLanguageModeling does it: each token that is not special (padding, &lt;s&gt;, &lt;/s&gt;, …) is chosen
/// with probability <see cref="MlmProbability"/>, independently; a chosen token becomes the mask token with probability
/// <see cref="MaskReplaceProb"/>, a random token with probability <see cref="RandomReplaceProb"/>, and stays as it was
/// otherwise. The labels hold the original token at chosen positions and <see cref="IgnoreIndex"/> (-100) elsewhere, so
/// the cross-entropy counts the chosen positions only. One difference from Hugging Face: the random token is drawn
/// from the non-special tokens (Hugging Face draws from the whole vocabulary), because our encoders derive the
/// padding mask from the ids and a random &lt;pad&gt; would hide a position from attention.
/// </summary>
public sealed class MlmMasking
{
    /// <summary>The label of a position the loss ignores (torch's cross_entropy default).</summary>
    public const long IgnoreIndex = -100;

    readonly bool[] special;
    readonly int[] ordinary;

    /// <summary>The mask token's id.</summary>
    public int MaskId { get; }

    /// <summary>Share of the non-special tokens chosen for prediction (BERT: 15 %).</summary>
    public double MlmProbability { get; init; } = 0.15;

    /// <summary>Of the chosen tokens, the share replaced by the mask token (BERT: 80 %).</summary>
    public double MaskReplaceProb { get; init; } = 0.8;

    /// <summary>Of the chosen tokens, the share replaced by a random non-special token (BERT: 10 %); the rest stay.</summary>
    public double RandomReplaceProb { get; init; } = 0.1;

    /// <param name="vocabSize">ids are in [0, vocabSize)</param>
    /// <param name="maskId">the mask token</param>
    /// <param name="specialIds">ids never chosen nor drawn as random tokens (padding, sequence wrapping, unknown, mask)</param>
    public MlmMasking(int vocabSize, int maskId, IEnumerable<int> specialIds)
    {
        ArgumentNullException.ThrowIfNull(specialIds);
        if (maskId < 0 || maskId >= vocabSize) throw new ArgumentException($"mlm masking: mask id {maskId} is outside the vocabulary of {vocabSize}");
        MaskId = maskId;
        special = new bool[vocabSize];
        special[maskId] = true;
        foreach (int id in specialIds)
            special[id >= 0 && id < vocabSize ? id : throw new ArgumentException($"mlm masking: special id {id} is outside the vocabulary of {vocabSize}")] = true;
        ordinary = [.. Enumerable.Range(0, vocabSize).Where(id => !special[id])];
        if (ordinary.Length == 0) throw new ArgumentException("mlm masking: every token of the vocabulary is special");
    }

    /// <summary>The model's inputs and the loss's labels for <paramref name="ids"/> (any shape, flattened), drawing
    /// from <paramref name="generator"/> in position order: one number per non-special position, a second per chosen
    /// one, a third per random replacement. The same generator state gives the same masks.</summary>
    public (long[] Inputs, long[] Labels) Mask(ReadOnlySpan<long> ids, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(MlmProbability >= 0 && MlmProbability <= 1) || !(MaskReplaceProb >= 0 && RandomReplaceProb >= 0 && MaskReplaceProb + RandomReplaceProb <= 1))
            throw new ArgumentException($"mlm masking: probabilities must lie in [0, 1] with mask + random ≤ 1; got mlm {MlmProbability}, " +
                                        $"mask {MaskReplaceProb}, random {RandomReplaceProb}");
        var inputs = ids.ToArray();
        var labels = new long[ids.Length];
        Array.Fill(labels, IgnoreIndex);
        for (int i = 0; i < ids.Length; i++)
        {
            long id = ids[i];
            if (id < 0 || id >= special.Length) throw new ArgumentException($"mlm masking: id {id} at position {i} is outside the vocabulary of {special.Length}");
            if (special[id] || generator.NextDouble() >= MlmProbability) continue;
            labels[i] = id;
            double r = generator.NextDouble();
            if (r < MaskReplaceProb) inputs[i] = MaskId;
            else if (r < MaskReplaceProb + RandomReplaceProb) inputs[i] = ordinary[generator.NextInt64(ordinary.Length)];
        }
        return (inputs, labels);
    }
}
