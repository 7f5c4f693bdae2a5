using Microsoft.ML.Tokenizers;
using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.Decoding;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// Sequence tagging (part of speech, named entities, chunks) from C#: <see cref="Train"/> turns tagged sentences into
/// a model folder (tokenizer, <see cref="TokenTagger"/> with a character encoder, results), <see cref="Load"/> reads one
/// back, <see cref="Predict(IReadOnlyList{string})"/> tags words and <see cref="Evaluate"/> scores. Input is a sentence
/// already split into words; each word is tokenized on its own (<see cref="WordAlignment"/>), tagged on its first
/// sub-token, and the tags come back one per input word.
/// </summary>
public sealed partial class SequenceTagger
{
    const int PredictBatch = 64, PredictChunk = 1024;

    readonly SpecialTokenIds specials;
    readonly (bool[,] Transitions, bool[] Start, bool[] End)? constraints;

    public TokenTagger Model { get; }
    public Tokenizer Tokenizer { get; }
    public WordAlignment Alignment { get; }
    public TaggerSettings Settings { get; }

    /// <summary>Tags in tag-id order.</summary>
    public IReadOnlyList<string> Tags => Settings.Tags;

    SequenceTagger(TokenTagger model, Tokenizer tokenizer, SpecialTokenIds specials, TaggerSettings settings)
    {
        (Model, Tokenizer, this.specials, Settings) = (model, tokenizer, specials, settings);
        Alignment = new WordAlignment(tokenizer, specials, settings.CharVocabulary, settings.MaxPiecesPerWord, settings.MaxWordChars);
        if (settings.ConstrainedDecoding && settings.Scheme != TagScheme.None) constraints = TagSchemes.Constraints(settings.Scheme, settings.Tags);
        Model.Eval();
    }

    /// <summary>Reads a folder <see cref="Train"/> wrote.</summary>
    /// <exception cref="DataFormatException">config.json is missing or malformed.</exception>
    /// <exception cref="TokenizerFormatException">the tokenizer files are missing or malformed.</exception>
    public static SequenceTagger Load(string dir)
    {
        var (config, settings) = TaggerFolder.ReadConfig(dir);
        var tokenizer = Tokenizers.Load(dir, out var tokenizerConfig);
        var specials = tokenizerConfig.SpecialTokens.Resolve(tokenizer);
        var model = new TokenTagger(config, settings.Tags.Count, numChars: settings.CharDim > 0 ? settings.CharVocabulary.Count + CharWordEncoder.EowId + 1 : null, charDim: settings.CharDim);
        model.LoadSafetensors(Path.Combine(dir, TaggerFolder.WeightsFile));
        return new SequenceTagger(model, tokenizer, specials, settings);
    }

    /// <summary>One tag per word of <paramref name="words"/>.</summary>
    public string[] Predict(IReadOnlyList<string> words) => Predict([words])[0];

    /// <summary>One tag per word of each sentence, in order.</summary>
    public IReadOnlyList<string[]> Predict(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var tags = new List<string[]>(sentences.Count);
        // A thousand sentences at a time: their scores stay small (W × C doubles each) and their rows still sort well.
        for (int at = 0; at < sentences.Count; at += PredictChunk)
            tags.AddRange(PredictChunkOf([.. sentences.Skip(at).Take(PredictChunk)]));
        return tags;
    }

    string[][] PredictChunkOf(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        var rows = new List<(int Sentence, AlignedRow Row)>();
        for (int s = 0; s < sentences.Count; s++)
            foreach (var row in Alignment.Encode(sentences[s], Settings.MaxLength)) rows.Add((s, row));
        // Rows of similar length share a batch, so little of it is padding (the tags go back by sentence and word).
        rows = [.. rows.OrderBy(r => r.Row.Ids.Length)];
        // scores[s]: (W, C) log-probabilities of each word's tags, filled row by row.
        var scores = sentences.Select(s => new double[s.Count * Tags.Count]).ToArray();
        int c = Tags.Count;
        using (GradMode.NoGrad())
            for (int at = 0; at < rows.Count; at += PredictBatch)
            {
                using var scope = TensorScope.Begin();   // each batch's activations go back to the pool at once
                var part = rows.GetRange(at, Math.Min(PredictBatch, rows.Count - at)).ToArray();
                var (ids, mask, chars, _) = Batch([.. part.Select(p => p.Row)], null);
                var logProbs = Model.Forward(ids, mask, chars).LogSoftmax(-1).To(DType.Float64).ToDoubleArray();   // (B, T, C)
                int t = ids.Size(1);
                for (int b = 0; b < part.Length; b++)
                {
                    var (s, row) = part[b];
                    for (int w = 0; w < row.WordCount; w++)
                        logProbs.AsSpan((b * t + row.WordStarts[w]) * c, c).CopyTo(scores[s].AsSpan((row.FirstWord + w) * c, c));
                }
            }
        return [.. scores.Select(Decode)];
    }

    /// <summary>Scores the tagger on <paramref name="sentences"/>; with <paramref name="trainingWords"/>, the accuracy on
    /// words outside them is reported too.</summary>
    public TaggingMetrics Evaluate(IReadOnlyList<TaggedSequence> sentences, IReadOnlySet<string>? trainingWords = null)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var metrics = new TaggingMetrics(Settings.Scheme, trainingWords);
        var predicted = Predict([.. sentences.Select(s => s.Words)]);
        for (int i = 0; i < sentences.Count; i++) metrics.Update(sentences[i].Words, sentences[i].Tags, predicted[i]);
        return metrics;
    }

    string[] Decode(double[] scores)
    {
        int c = Tags.Count;
        int[] path = constraints is var (transitions, start, end)
            ? Viterbi.Decode(scores, c, transitions, start, end)
            : [.. Enumerable.Range(0, scores.Length / c).Select(w => ArgMax(scores.AsSpan(w * c, c)))];
        return [.. path.Select(i => Tags[i])];
    }

    static int ArgMax(ReadOnlySpan<double> row)
    {
        int arg = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[arg]) arg = i;
        return arg;
    }

    /// <summary>Rows padded into a batch: ids (B, T), padding mask (B, T), chars and their kinds (B, T, L) with each word's
    /// characters at its first sub-token (null without a character encoder), and with <paramref name="labels"/> the targets (B, T)
    /// padded with -100.</summary>
    (Tensor Ids, Tensor Mask, (Tensor, Tensor)? Chars, Tensor? Labels) Batch(IReadOnlyList<AlignedRow> rows, IReadOnlyList<long[]>? labels)
    {
        var padded = Padding.PadSequences([.. rows.Select(r => r.Ids)], specials.Pad!.Value);
        int b = rows.Count, t = padded.Length;
        (Tensor, Tensor)? chars = null;
        if (Model.CharEncoder != null)
        {
            int l = Math.Max(CharWordEncoder.Width, rows.SelectMany(r => r.Chars).Select(w => w.Length).DefaultIfEmpty(0).Max());
            var ids = new long[b * t * l];
            var kinds = new long[b * t * l];
            for (int i = 0; i < b; i++)
                for (int w = 0; w < rows[i].WordCount; w++)
                {
                    int at = (i * t + rows[i].WordStarts[w]) * l;
                    for (int k = 0; k < rows[i].Chars[w].Length; k++) (ids[at + k], kinds[at + k]) = (rows[i].Chars[w][k], rows[i].Kinds[w][k]);
                }
            chars = (Tensor.FromArray(ids, b, t, l), Tensor.FromArray(kinds, b, t, l));
        }
        Tensor? targets = null;
        if (labels != null)
        {
            var y = new long[b * t];
            Array.Fill(y, -100L);
            for (int i = 0; i < b; i++) labels[i].CopyTo(y, i * t);
            targets = Tensor.FromArray(y, b, t);
        }
        return (padded.Ids, padded.PaddingMask, chars, targets);
    }
}
