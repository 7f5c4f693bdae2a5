using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>A model's score on a token stream: the mean negative log-likelihood per predicted token (nats), its
/// exponential (perplexity), the tokens predicted, and bits per byte of the text when its byte count is known.</summary>
public sealed record PerplexityResult(double NegativeLogLikelihood, long Tokens, long? Bytes)
{
    /// <summary>exp(mean NLL).</summary>
    public double Perplexity => Math.Exp(NegativeLogLikelihood);

    /// <summary>Total NLL in bits over the text's UTF-8 bytes: comparable across tokenizers.</summary>
    public double? BitsPerByte => Bytes is > 0 ? NegativeLogLikelihood * Tokens / (Math.Log(2) * Bytes.Value) : null;
}

/// <summary>
/// Sliding-window perplexity (Hugging Face's "Perplexity of fixed-length models"): windows of at most C = context input
/// tokens start every <c>stride</c> tokens, and each window scores only the targets no earlier window scored, so every
/// token after the first is predicted exactly once, with at least C − stride tokens of context once the text is longer
/// than a window. stride = C gives disjoint windows (fast, less context); stride = 1 gives every token the most context
/// the model takes (slowest). Windows run <c>batchSize</c> at a time under no-grad.
/// </summary>
public static class Perplexity
{
    /// <summary>Scores tokens 1 … N−1 of <paramref name="tokens"/>.</summary>
    public static PerplexityResult Evaluate(CausalLanguageModel model, ReadOnlySpan<int> tokens, int context, int stride, int batchSize = 8, long? bytes = null)
    {
        var copy = tokens.ToArray();
        return Evaluate(model, copy.Length, (offset, length) => copy.AsSpan((int)offset, length), context, stride, batchSize, bytes);
    }

    /// <summary>Scores a token file.</summary>
    public static PerplexityResult Evaluate(CausalLanguageModel model, TokenFile tokens, int context, int stride, int batchSize = 8, long? bytes = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return Evaluate(model, tokens.Count, tokens.Slice, context, stride, batchSize, bytes);
    }

    /// <summary>The windows of a stream of <paramref name="count"/> tokens: (begin, input length, targets already scored
    /// at its start). Window inputs are [begin, begin + length), targets [begin + 1, begin + length].</summary>
    public static IEnumerable<(long Begin, int Length, int Skip)> Windows(long count, int context, int stride)
    {
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), context, "perplexity: context must be at least 1");
        if (stride < 1 || stride > context)
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"perplexity: stride must lie in [1, context = {context}]");
        long scored = 0;   // targets 1 … scored are done
        for (long begin = 0; scored < count - 1; begin += stride)
        {
            int length = (int)Math.Min(context, count - 1 - begin);
            yield return (begin, length, (int)(scored - begin));
            scored = begin + length;
        }
    }

    static PerplexityResult Evaluate(CausalLanguageModel model, long count, Func<long, int, ReadOnlySpan<int>> slice, int context, int stride,
        int batchSize, long? bytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "perplexity: batch size must be at least 1");
        if (count < 2) throw new ArgumentException($"perplexity: {count} tokens leave nothing to predict (need at least 2)", nameof(count));
        if (model.Config.Positions == PositionEncoding.Learned && context > model.Config.MaxLen)
            throw new ArgumentOutOfRangeException(nameof(context), context, $"perplexity: context {context} exceeds the model's max_len {model.Config.MaxLen}");
        bool training = model.Training;
        model.Eval();
        double nll = 0;
        long scored = 0;
        try
        {
            using var _ = GradMode.NoGrad();
            var group = new List<(long Begin, int Length, int Skip)>(batchSize);
            void Flush()
            {
                if (group.Count == 0) return;
                using var scope = TensorScope.Begin();
                int t = group[0].Length, b = group.Count;
                var inputs = new long[b * t];
                var targets = new long[b * t];
                for (int r = 0; r < b; r++)
                {
                    var span = slice(group[r].Begin, t + 1);
                    for (int i = 0; i < t; i++)
                    {
                        inputs[r * t + i] = span[i];
                        targets[r * t + i] = i < group[r].Skip ? -100 : span[i + 1];
                    }
                    scored += t - group[r].Skip;
                }
                var logits = model.Forward(Tensor.FromArray(inputs, b, t));                               // (B, T, V)
                var loss = F.CrossEntropy(logits.Reshape(-1, model.Config.VocabSize), Tensor.FromArray(targets, b * t), reduction: Reduction.Sum);
                nll += loss.ItemDouble();
                group.Clear();
            }
            foreach (var window in Windows(count, context, stride))
            {
                if (group.Count > 0 && (group.Count == batchSize || window.Length != group[0].Length)) Flush();
                group.Add(window);
            }
            Flush();
        }
        finally
        {
            if (training) model.Train();
        }
        return new PerplexityResult(nll / scored, scored, bytes);
    }
}
