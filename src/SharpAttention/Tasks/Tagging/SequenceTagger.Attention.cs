using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Tasks.Tagging;

/// <summary>A sentence as the tagger read it: its tags, the row's tokens (&lt;s&gt;, each word's first sub-token shown as
/// the word, later sub-tokens as "·piece", &lt;/s&gt;) and each encoder layer's self-attention (H, T, T) — row = the
/// attending token, column = the token attended to.</summary>
public sealed record TaggedAttention(string[] Tags, IReadOnlyList<string> Tokens, IReadOnlyList<Tensor> SelfAttention);

// Inspection: every encoder layer's self-attention over one sentence.
public sealed partial class SequenceTagger
{
    /// <summary>Tags <paramref name="words"/> and captures each encoder layer's attention weights in the same forward pass
    /// (the layers run their composed attention path meanwhile, which forms the weights).</summary>
    /// <exception cref="ArgumentException">the sentence is empty or longer than one row of the model (max_length).</exception>
    public TaggedAttention Attend(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count == 0) throw new ArgumentException("attend: the sentence has no words");
        var rows = Alignment.Encode(words, Settings.MaxLength);
        if (rows.Count > 1)
            throw new ArgumentException($"attend: the sentence's {words.Count} words take more than the model's {Settings.MaxLength} tokens; give a shorter one");
        var row = rows[0];
        var attentions = Model.Backbone.Encoder.Layers.Select(l => l.SelfAttn).ToArray();
        try
        {
            foreach (var attention in attentions) attention.CaptureWeights = true;
            var (ids, mask, chars, _) = Batch([row], null);
            using (GradMode.NoGrad())
            {
                var logProbs = Model.Forward(ids, mask, chars).LogSoftmax(-1).To(DType.Float64).ToDoubleArray();   // (1, T, C)
                int c = Tags.Count;
                var scores = new double[row.WordCount * c];
                for (int w = 0; w < row.WordCount; w++) logProbs.AsSpan(row.WordStarts[w] * c, c).CopyTo(scores.AsSpan(w * c, c));
                var tags = Decode(scores);
                return new TaggedAttention(tags, Tokens(row, words), [.. attentions.Select(a => a.CapturedWeights!.Select(0, 0))]);   // (1, H, T, T) → (H, T, T)
            }
        }
        finally
        {
            foreach (var attention in attentions) attention.CaptureWeights = false;
        }
    }

    string[] Tokens(AlignedRow row, IReadOnlyList<string> words)
    {
        var tokens = new string[row.Ids.Length];
        tokens[0] = "<s>";
        tokens[^1] = "</s>";
        for (int w = 0; w < row.WordCount; w++)
        {
            int end = w + 1 < row.WordCount ? row.WordStarts[w + 1] : row.Ids.Length - 1;
            tokens[row.WordStarts[w]] = words[row.FirstWord + w];
            for (int k = row.WordStarts[w] + 1; k < end; k++) tokens[k] = "·" + Tokenizer.Decode([row.Ids[k]]);
        }
        return tokens;
    }
}
