using SharpAttention.Tensors;

namespace SharpAttention.Data;

/// <summary>A batch of variable-length id sequences padded to one length.</summary>
/// <param name="Ids">(B, T) int64 token ids, <c>padValue</c> after each sequence's end.</param>
/// <param name="Lengths">(B) int64 true lengths.</param>
/// <param name="PaddingMask">(B, T) bool, true at padded positions — the convention of nn.MultiheadAttention's
/// key_padding_mask and nn.Transformer's src/tgt_key_padding_mask.</param>
public sealed record PaddedBatch(Tensor Ids, Tensor Lengths, Tensor PaddingMask)
{
    public int BatchSize => Ids.Shape[0];
    public int Length => Ids.Shape[1];

    /// <summary>Real (non-pad) tokens in the batch.</summary>
    public long TokenCount { get; init; }
}

/// <summary>Padding of id sequences into batches (torch.nn.utils.rnn.pad_sequence with batch_first=True).</summary>
public static class Padding
{
    /// <summary>Pads <paramref name="sequences"/> to the longest one (or to <paramref name="padTo"/>, which must
    /// not be shorter); an empty sequence gives a row of padding.</summary>
    public static PaddedBatch PadSequences(IReadOnlyList<int[]> sequences, long padValue = 0, int? padTo = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int b = sequences.Count, t = 0;
        long tokens = 0;
        for (int i = 0; i < b; i++)
        {
            var s = sequences[i] ?? throw new ArgumentException($"pad_sequence: sequence {i} is null", nameof(sequences));
            t = Math.Max(t, s.Length);
            tokens += s.Length;
        }
        if (padTo is { } fixedLength)
        {
            if (fixedLength < t)
                throw new ArgumentException($"pad_sequence: padTo {fixedLength} is shorter than the longest sequence ({t} tokens)", nameof(padTo));
            t = fixedLength;
        }
        var ids = new long[(long)b * t];
        var lengths = new long[b];
        var mask = new bool[(long)b * t];
        for (int i = 0; i < b; i++)
        {
            var s = sequences[i];
            lengths[i] = s.Length;
            for (int j = 0; j < t; j++)
            {
                bool pad = j >= s.Length;
                ids[(long)i * t + j] = pad ? padValue : s[j];
                mask[(long)i * t + j] = pad;
            }
        }
        return new PaddedBatch(Tensor.FromArray(ids, b, t), Tensor.FromArray(lengths, b), Tensor.FromArray(mask, b, t))
        {
            TokenCount = tokens,
        };
    }
}
