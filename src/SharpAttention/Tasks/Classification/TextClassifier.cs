using Microsoft.ML.Tokenizers;
using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// Text classification from C#: <see cref="Train"/> turns labelled texts into a model folder (tokenizer, encoder
/// classifier, results), <see cref="Load"/> reads one back, and <see cref="Predict"/>, <see cref="Explain"/> and
/// <see cref="Evaluate"/> use it. Texts are wrapped as [CLS] text [SEP] (RoBERTa's &lt;s&gt; … &lt;/s&gt;), so even an
/// empty text has tokens.
/// </summary>
public sealed partial class TextClassifier
{
    const int PredictBatch = 32;

    readonly SpecialTokenIds specials;
    readonly BatchEncodingOptions encoding;

    public EncoderClassifier Model { get; }
    public Tokenizer Tokenizer { get; }

    /// <summary>Class names in class-index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Two classes: the probability of <c>Labels[1]</c> from which it is predicted (chosen on held-out data by
    /// <see cref="TextClassifierOptions.TuneThreshold"/>, or given); null: the most probable label. Probabilities are
    /// reported unchanged either way.</summary>
    public double? Threshold { get; private set; }

    TextClassifier(EncoderClassifier model, Tokenizer tokenizer, SpecialTokenIds specials, IReadOnlyList<string> labels, int maxLength, Truncation truncation, double? threshold)
    {
        (Model, Tokenizer, this.specials, Labels, Threshold) = (model, tokenizer, specials, labels, threshold);
        encoding = Encoding(maxLength, truncation);
        Model.Eval();
    }

    /// <summary>Reads a folder <see cref="Train"/> wrote: one model, or an ensemble whose config.json lists its
    /// member folders (<see cref="Members"/>).</summary>
    /// <exception cref="DataFormatException">config.json is missing or malformed.</exception>
    /// <exception cref="TokenizerFormatException">the tokenizer files are missing or malformed.</exception>
    public static TextClassifier Load(string dir)
    {
        if (IsEnsemble(dir)) return LoadEnsemble(dir);
        var (config, labels, maxLength, truncation, threshold) = ClassifierFolder.ReadConfig(dir);
        var tokenizer = Tokenizers.Load(dir, out var tokenizerConfig);
        var model = new EncoderClassifier(config, labels.Length);
        model.LoadSafetensors(Path.Combine(dir, ClassifierFolder.WeightsFile));
        return new TextClassifier(model, tokenizer, tokenizerConfig.SpecialTokens.Resolve(tokenizer), labels, maxLength, truncation, threshold);
    }

    /// <summary>Each text's label — the most probable, or by <see cref="Threshold"/> — and every class's probability.</summary>
    public IReadOnlyList<ClassPrediction> Predict(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var predictions = new List<ClassPrediction>(texts.Count);
        using var _ = GradMode.NoGrad();
        for (int at = 0; at < texts.Count; at += PredictBatch)
        {
            using var scope = TensorScope.Begin();   // as in Evaluate
            var chunk = texts.Skip(at).Take(PredictBatch).ToArray();
            var logits = Logits(chunk).To(DType.Float64).ToDoubleArray();
            for (int b = 0; b < chunk.Length; b++) predictions.Add(Prediction(logits.AsSpan(b * Labels.Count, Labels.Count)));
        }
        return predictions;
    }

    /// <summary>The prediction for one text and, for each of its tokens, its pooling weight and its evidence for the
    /// predicted label against the runner-up (integrated gradients: see <see cref="ClassExplanation"/>); the
    /// [CLS]/[SEP] wrapping is included as tokens with empty spans.</summary>
    public ClassExplanation Explain(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (members.Length > 0) return ExplainEnsemble(text);
        var (batch, logits, w) = ForwardOne(text);
        var prediction = Prediction(logits);
        var (best, second) = Contrast(prediction);
        return new ClassExplanation(prediction, second < 0 ? null : Labels[second], Attribute(text, batch, w, best, second));
    }

    /// <summary>One text's encoding, its logits and its pooling weights (T).</summary>
    (BatchEncoding Batch, double[] Logits, double[] Weights) ForwardOne(string text)
    {
        var batch = Encode([text]);
        using var _ = GradMode.NoGrad();
        var (output, weights) = Model.ForwardWithWeights(batch.InputIds, batch.KeyPaddingMask);
        return (batch, output.To(DType.Float64).ToDoubleArray(), weights.To(DType.Float64).ToDoubleArray());
    }

    /// <summary>The predicted class and the runner-up: the most probable other class (a one-class model has none, -1:
    /// evidence is then for its logit).</summary>
    (int Best, int Second) Contrast(ClassPrediction prediction)
    {
        var probabilities = Labels.Select(l => prediction.Probabilities[l]).ToArray();
        int best = ClassificationData.Index(Labels)[prediction.Label];
        int second = Enumerable.Range(0, Labels.Count).Where(k => k != best).DefaultIfEmpty(-1).MaxBy(k => k < 0 ? 0 : probabilities[k]);
        return (best, second);
    }

    /// <summary>Each token of <paramref name="batch"/> (one text) with its pooling weight and its evidence for class
    /// <paramref name="best"/> against <paramref name="second"/>.</summary>
    (string Token, int Start, int End, double Weight, double Evidence)[] Attribute(string text, BatchEncoding batch, double[] w, int best, int second)
    {
        var evidence = Model.IntegratedGradients(batch.InputIds, best, second, batch.KeyPaddingMask).To(DType.Float64).ToDoubleArray();
        var ids = batch.InputIds.ToInt64Array();
        return [.. batch.Offsets[0].Select((o, t) => (Token(ids[t], o, text), o.Start, o.End, w[t], evidence[t]))];
    }

    /// <summary>Accuracy, per-class and macro metrics and (two classes) ROC-AUC on labelled texts; a label the
    /// classifier does not know is a <see cref="DataFormatException"/> naming where it came from.</summary>
    public ClassificationMetrics Evaluate(IReadOnlyList<LabeledText> examples) => Score(examples, Margin);

    /// <summary><see cref="Evaluate"/>, deciding at the margin <paramref name="threshold"/> (null: the arg-max).</summary>
    ClassificationMetrics Score(IReadOnlyList<LabeledText> examples, double? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var index = ClassificationData.Index(Labels);
        var metrics = new ClassificationMetrics(Labels.Count);
        using var _ = GradMode.NoGrad();
        for (int at = 0; at < examples.Count; at += PredictBatch)
        {
            // Each batch hands its buffers back to the pool at once. Left to the GC they wait for a full collection
            // (large arrays): scoring the spam recipe's 600 test mails so peaked at 5.5 GB, with a scope at 0.46 GB.
            using var scope = TensorScope.Begin();
            var part = examples.Skip(at).Take(PredictBatch).ToArray();
            var targets = part.Select(e => index.TryGetValue(e.Label, out int c) ? (long)c
                : throw new DataFormatException(e.Source, e.Line, $"label '{e.Label}' is not one the model knows ({string.Join(", ", Labels)})")).ToArray();
            metrics.UpdateFromLogits(Logits([.. part.Select(e => e.Text)]), Tensor.FromArray(targets, targets.Length), threshold);
        }
        return metrics;
    }

    /// <summary>&lt;s&gt; text &lt;/s&gt;, at most <paramref name="maxLength"/> tokens.</summary>
    static BatchEncodingOptions Encoding(int maxLength, Truncation truncation) =>
        new() { MaxLength = maxLength, Truncation = truncation, Wrap = SequenceWrap.ClsSep };

    BatchEncoding Encode(IReadOnlyList<string> texts) => BatchEncoding.Encode(Tokenizer, texts, specials, encoding);

    /// <summary>The threshold as the logit margin the metrics compare with.</summary>
    double? Margin => Threshold is double t ? DecisionThreshold.ToMargin(t) : null;

    /// <summary>The label of one row of logits (label order) and the softmax of the row, in double precision.</summary>
    ClassPrediction Prediction(ReadOnlySpan<double> logits)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (var v in logits) max = Math.Max(max, v);
        foreach (var v in logits) sum += Math.Exp(v - max);
        var byLabel = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int c = 0; c < Labels.Count; c++) byLabel[Labels[c]] = Math.Exp(logits[c] - max) / sum;
        return new ClassPrediction(Labels[ClassifierFolder.Decide(logits, Threshold)], byLabel);
    }

    string Token(long id, (int Start, int End) offset, string text) =>
        offset.End > offset.Start ? text[offset.Start..offset.End] : Tokenizer.Decode([(int)id]) ?? "";
}
