using SharpAttention.Data;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Data;

public class MlmMaskingTests
{
    // A vocabulary of 1,000 ids, 0–4 special (pad, <s>, </s>, <unk>, <mask>) as in the classifier's tokenizer.
    const int Vocab = 1000, Pad = 0, Bos = 1, Eos = 2, Unk = 3, MaskId = 4;
    static readonly int[] Specials = [Pad, Bos, Eos, Unk];

    /// <summary>Rows of 50–200 ordinary ids wrapped in &lt;s&gt; … &lt;/s&gt;, some with an &lt;unk&gt;, padded to 210.</summary>
    static long[] Rows(int count, int seed, out int ordinaryCount)
    {
        var rng = new Random(seed);
        var ids = new List<long>();
        ordinaryCount = 0;
        for (int r = 0; r < count; r++)
        {
            int n = rng.Next(50, 201);
            ids.Add(Bos);
            for (int i = 0; i < n; i++)
            {
                bool unk = rng.Next(40) == 0;
                ids.Add(unk ? Unk : rng.Next(5, Vocab));
                if (!unk) ordinaryCount++;
            }
            ids.Add(Eos);
            for (int i = n + 2; i < 210; i++) ids.Add(Pad);
        }
        return [.. ids];
    }

    /// <summary>|k − n·p| within 5 standard deviations of a binomial(n, p): a false alarm about once in 3.5 million.</summary>
    static void WithinBinomial(long k, long n, double p, string what)
    {
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.True(Math.Abs(k - n * p) <= 5 * sd, $"{what}: {k} of {n}, expected {n * p:F0} ± {5 * sd:F0}");
    }

    [Fact]
    public void Choices_and_replacements_follow_15_and_80_10_10_percent()
    {
        var ids = Rows(1500, 1, out int ordinary);
        var masking = new MlmMasking(Vocab, MaskId, Specials);
        var (inputs, labels) = masking.Mask(ids, new Generator(7));
        long chosen = 0, masked = 0, random = 0, kept = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (labels[i] == MlmMasking.IgnoreIndex)
            {
                Assert.Equal(ids[i], inputs[i]);   // a position not chosen is never changed
                continue;
            }
            Assert.Equal(ids[i], labels[i]);       // the label is the original token
            chosen++;
            if (inputs[i] == MaskId) masked++;
            else if (inputs[i] == ids[i]) kept++;
            else random++;
        }
        Assert.True(ordinary > 150_000, $"{ordinary} ordinary tokens");
        WithinBinomial(chosen, ordinary, 0.15, "chosen");
        // A random replacement draws one of the 995 ordinary ids, the original among them once in 995: it then looks kept.
        double same = 1.0 / (Vocab - 5);
        WithinBinomial(masked, chosen, 0.8, "masked");
        WithinBinomial(random, chosen, 0.1 * (1 - same), "random");
        WithinBinomial(kept, chosen, 0.1 + 0.1 * same, "kept");
    }

    [Fact]
    public void Specials_and_padding_are_never_chosen_and_never_drawn()
    {
        var ids = Rows(300, 2, out _);
        var masking = new MlmMasking(Vocab, MaskId, Specials) { MlmProbability = 0.9, MaskReplaceProb = 0, RandomReplaceProb = 1 };
        var (inputs, labels) = masking.Mask(ids, new Generator(3));
        int replaced = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 5)
            {
                Assert.Equal(MlmMasking.IgnoreIndex, labels[i]);
                Assert.Equal(ids[i], inputs[i]);
            }
            else if (labels[i] != MlmMasking.IgnoreIndex)
            {
                Assert.InRange(inputs[i], 5, Vocab - 1);   // every chosen token was replaced by an ordinary one
                replaced++;
            }
        }
        Assert.True(replaced > 10_000, $"{replaced} replaced");
    }

    [Fact]
    public void The_same_generator_state_gives_the_same_masks_and_another_seed_others()
    {
        var ids = Rows(20, 3, out _);
        var masking = new MlmMasking(Vocab, MaskId, Specials);
        var a = masking.Mask(ids, new Generator(11));
        var b = masking.Mask(ids, new Generator(11));
        var c = masking.Mask(ids, new Generator(12));
        Assert.Equal(a.Inputs, b.Inputs);
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(a.Labels, c.Labels);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        Assert.Contains("mask id 1000", Assert.Throws<ArgumentException>(() => new MlmMasking(Vocab, Vocab, Specials)).Message);
        Assert.Contains("special id -1", Assert.Throws<ArgumentException>(() => new MlmMasking(Vocab, MaskId, [-1])).Message);
        Assert.Contains("every token", Assert.Throws<ArgumentException>(() => new MlmMasking(2, 1, [0])).Message);
        Assert.Contains("id 1000 at position 1", Assert.Throws<ArgumentException>(() => new MlmMasking(Vocab, MaskId, Specials).Mask(new long[] { 5, 1000 }, new Generator(1))).Message);
        Assert.Contains("mask + random", Assert.Throws<ArgumentException>(() =>
            new MlmMasking(Vocab, MaskId, Specials) { MaskReplaceProb = 0.8, RandomReplaceProb = 0.3 }.Mask(new long[] { 5 }, new Generator(1))).Message);
    }
}
