using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tasks.LanguageModeling;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Tasks.LanguageModeling;

/// <summary>Sliding-window perplexity against a brute force: each token's log-probability computed alone, from a forward
/// pass over exactly the context the window rule gives it (Hugging Face's: windows begin at multiples of the stride, and
/// a token is scored by the first window that reaches it, so its context starts at max(0, ⌈(p − C) / s⌉ · s)).</summary>
public class PerplexityTests
{
    const int Vocab = 23;

    static CausalLanguageModel Tiny()
    {
        var model = new CausalLanguageModel(CausalLMConfig.Tiny(Vocab) with { DModel = 32, NumHeads = 4, NumLayers = 2, DimFeedforward = 48, MaxLen = 64 },
            new Generator(7));
        model.Eval();
        return model;
    }

    static int[] Tokens(int n, int seed)
    {
        var g = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => g.Next(Vocab))];
    }

    /// <summary>−log p(tokens[p] | tokens[begin … p−1]) from a forward pass over that prefix alone, in double.</summary>
    static double TokenNll(CausalLanguageModel model, int[] tokens, int begin, int p)
    {
        using var _ = GradMode.NoGrad();
        var input = Tensor.FromArray(tokens[begin..p].Select(t => (long)t).ToArray(), 1, p - begin);
        var logits = model.Forward(input).To(DType.Float64).ToDoubleArray();       // (1, T, V)
        var last = logits.AsSpan((p - begin - 1) * Vocab, Vocab);
        double max = double.NegativeInfinity;
        foreach (var l in last) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in last) sum += Math.Exp(l - max);
        return -(last[tokens[p]] - max - Math.Log(sum));
    }

    [Theory]
    [InlineData(40, 16, 1)]
    [InlineData(40, 16, 5)]
    [InlineData(40, 16, 16)]
    [InlineData(37, 8, 3)]
    [InlineData(9, 16, 4)]
    public void Equals_the_brute_force_per_token_computation(int n, int context, int stride)
    {
        var model = Tiny();
        var tokens = Tokens(n, seed: n + context);
        double total = 0;
        for (int p = 1; p < n; p++)
        {
            int begin = Math.Max(0, (int)Math.Ceiling((p - context) / (double)stride) * stride);
            Assert.InRange(p - begin, 1, context);
            total += TokenNll(model, tokens, begin, p);
        }
        var r = Perplexity.Evaluate(model, tokens, context, stride, batchSize: 3);
        Assert.Equal(n - 1, r.Tokens);
        Assert.Equal(total / (n - 1), r.NegativeLogLikelihood, 4);
    }

    [Fact]
    public void Text_that_fits_one_window_scores_the_same_at_every_stride_and_equals_full_context()
    {
        var model = Tiny();
        var tokens = Tokens(30, seed: 3);
        double full = Enumerable.Range(1, 29).Sum(p => TokenNll(model, tokens, 0, p)) / 29;
        foreach (int stride in new[] { 1, 7, 32 })
            Assert.Equal(full, Perplexity.Evaluate(model, tokens, 32, stride).NegativeLogLikelihood, 4);
    }

    [Fact]
    public void Windows_score_every_target_once()
    {
        foreach (var (n, c, s) in new[] { (100, 10, 3), (11, 10, 10), (2, 5, 1), (57, 8, 8) })
        {
            var scored = Perplexity.Windows(n, c, s).SelectMany(w => Enumerable.Range(w.Skip + 1, w.Length - w.Skip).Select(t => w.Begin + t)).ToArray();
            Assert.Equal(Enumerable.Range(1, n - 1).Select(i => (long)i), scored);
        }
    }

    [Fact]
    public void Bits_per_byte_is_total_nll_in_bits_over_bytes()
    {
        var r = new PerplexityResult(2.0, 300, 1000);
        Assert.Equal(2.0 * 300 / Math.Log(2) / 1000, r.BitsPerByte!.Value, 12);
        Assert.Equal(Math.Exp(2.0), r.Perplexity, 12);
        Assert.Null(new PerplexityResult(2.0, 300, null).BitsPerByte);
    }

    [Fact]
    public void Bad_stride_and_too_short_text_are_refused()
    {
        var model = Tiny();
        Assert.Throws<ArgumentOutOfRangeException>(() => Perplexity.Evaluate(model, Tokens(20, 1), 8, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => Perplexity.Evaluate(model, Tokens(20, 1), 8, 0));
        Assert.Contains("nothing to predict", Assert.Throws<ArgumentException>(() => Perplexity.Evaluate(model, Tokens(1, 1), 8, 4)).Message);
    }
}
