using Microsoft.ML.Tokenizers;
using SharpAttention.Text;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// What a classifier folder does to texts before the network — its tokenizer, the `&lt;s&gt; … &lt;/s&gt;` wrapping,
/// max_length and truncation from config.json — and its labels, without the weights: what a consumer of the exported
/// ONNX classifier (`attn export`, which copies config.json and the tokenizer files beside model.onnx) needs to build
/// the graph's input_ids and attention_mask and to name its logits.
/// </summary>
public sealed class ClassifierInputs
{
    readonly SpecialTokenIds specials;
    readonly BatchEncodingOptions encoding;

    public Tokenizer Tokenizer { get; }

    /// <summary>The class of each logit, in order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Two classes: the probability of <c>Labels[1]</c> from which it is the prediction (config.json's
    /// decision_threshold); null: the arg-max.</summary>
    public double? Threshold { get; }

    ClassifierInputs(Tokenizer tokenizer, SpecialTokenIds specials, IReadOnlyList<string> labels, int maxLength, Truncation truncation, double? threshold)
    {
        (Tokenizer, this.specials, Labels, Threshold) = (tokenizer, specials, labels, threshold);
        encoding = new BatchEncodingOptions { MaxLength = maxLength, Truncation = truncation, Wrap = SequenceWrap.ClsSep };
    }

    /// <summary>Reads config.json and the tokenizer files of a classifier folder (or of an export's folder).</summary>
    /// <exception cref="Data.DataFormatException">config.json is missing or malformed.</exception>
    /// <exception cref="TokenizerFormatException">the tokenizer files are missing or malformed.</exception>
    public static ClassifierInputs Load(string dir)
    {
        var (_, labels, maxLength, truncation, threshold) = ClassifierFolder.ReadConfig(dir);
        var tokenizer = Tokenizers.Load(dir, out var tokenizerConfig);
        return new ClassifierInputs(tokenizer, tokenizerConfig.SpecialTokens.Resolve(tokenizer), labels, maxLength, truncation, threshold);
    }

    /// <summary>The predicted class of one row of the graph's logits, honouring <see cref="Threshold"/>.</summary>
    public int Decide(ReadOnlySpan<double> logits) => ClassifierFolder.Decide(logits, Threshold);

    /// <summary>The texts as a padded batch: InputIds and AttentionMask (B, T) int64, as the exported graph takes them.</summary>
    public BatchEncoding Encode(IReadOnlyList<string> texts) => BatchEncoding.Encode(Tokenizer, texts, specials, encoding);
}
