using SharpAttention.Decoding;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Decoding;

/// <summary>
/// The distribution sampling draws from, checked statistically: 20,000 draws at a fixed seed from a known logits
/// vector through <see cref="Sampling.Decode(IIncrementalDecoder, IDecoderState, Tensor, int, long, Generator, double, int, double, long?)"/>
/// against the filtered softmax computed here from the definitions (Hugging Face's warpers: temperature, then top-k,
/// then top-p keeping the most probable tokens whose probability before them is below p), by a chi-square test at the
/// 0.1 % level; tokens outside the filtered set must never be drawn.
/// </summary>
public class SamplingDistributionTests
{
    static readonly float[] Logits = [2.0f, 1.5f, 1.2f, 0.3f, -0.4f, 0.9f, -1.5f, 0.0f, 2.2f, -3.0f];

    /// <summary>Gives the same logits for every row at every step; its state only counts rows.</summary>
    sealed class FixedLogits(float[] logits) : IIncrementalDecoder
    {
        public int VocabSize => logits.Length;
        public int MaxLength => int.MaxValue;

        public Tensor Step(IDecoderState state, Tensor tokens)
        {
            var rows = new float[state.BatchSize * logits.Length];
            for (int r = 0; r < state.BatchSize; r++) logits.CopyTo(rows, r * logits.Length);
            ((Rows)state).Length += tokens.Size(1);
            return Tensor.FromArray(rows, state.BatchSize, logits.Length);
        }
    }

    sealed class Rows(int batch) : IDecoderState
    {
        public int BatchSize { get; private set; } = batch;
        public int Length { get; set; }
        public void Reorder(ReadOnlySpan<int> rows) => BatchSize = rows.Length;
    }

    /// <summary>The filtered distribution, from the definitions, in double.</summary>
    static double[] Expected(double temperature, int topK, double topP)
    {
        var p = Logits.Select(l => Math.Exp(l / temperature)).ToArray();
        double z = p.Sum();
        p = [.. p.Select(x => x / z)];
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ToArray();
        var keep = new bool[p.Length];
        int limit = topK > 0 ? topK : p.Length;
        double kept = order.Take(limit).Sum(i => p[i]), before = 0;
        for (int r = 0; r < limit; r++)
        {
            // top-p over the top-k set renormalised: keep a token while the mass before it is below p.
            if (before / kept < topP) keep[order[r]] = true;
            before += p[order[r]];
        }
        var q = p.Select((x, i) => keep[i] ? x : 0).ToArray();
        double s = q.Sum();
        return [.. q.Select(x => x / s)];
    }

    /// <summary>χ² critical values at the 0.1 % level for 1 … 9 degrees of freedom.</summary>
    static readonly double[] Critical = [10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877];

    [Theory]
    [InlineData(1.0, 0, 1.0)]
    [InlineData(0.7, 0, 1.0)]
    [InlineData(1.6, 0, 1.0)]
    [InlineData(1.0, 4, 1.0)]
    [InlineData(1.0, 0, 0.8)]
    [InlineData(1.3, 6, 0.9)]
    [InlineData(0.8, 3, 0.5)]
    public void Twenty_thousand_draws_follow_the_filtered_softmax(double temperature, int topK, double topP)
    {
        const int draws = 20_000;
        var decoder = new FixedLogits(Logits);
        var prompt = Tensor.Zeros([draws, 1], DType.Int64);
        var result = Sampling.Decode(decoder, new Rows(draws), prompt, 1, eosId: -1, new Generator(2026), temperature, topK, topP);
        var counts = new int[Logits.Length];
        foreach (var h in result) counts[(int)h.Tokens[0]]++;
        var expected = Expected(temperature, topK, topP);
        double chi2 = 0;
        int cells = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} is outside the filtered set but was drawn {counts[i]} times");
                continue;
            }
            double e = expected[i] * draws;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
            cells++;
        }
        Assert.True(cells >= 2, "the case should leave at least two tokens");
        Assert.True(chi2 < Critical[cells - 2], $"χ² = {chi2:F2} with {cells - 1} degrees of freedom exceeds {Critical[cells - 2]}; counts {string.Join(",", counts)}");
    }

    [Fact]
    public void Chi_square_test_rejects_a_wrong_distribution()
    {
        // The same draws judged against the unfiltered softmax when top-k = 4 cut it: the test must fail them.
        const int draws = 20_000;
        var result = Sampling.Decode(new FixedLogits(Logits), new Rows(draws), Tensor.Zeros([draws, 1], DType.Int64), 1, -1, new Generator(2026), 1.0, 4, 1.0);
        var counts = new int[Logits.Length];
        foreach (var h in result) counts[(int)h.Tokens[0]]++;
        var wrong = Expected(1.0, 0, 1.0);
        double chi2 = counts.Select((c, i) => (c - wrong[i] * draws) * (c - wrong[i] * draws) / (wrong[i] * draws)).Sum();
        Assert.True(chi2 > Critical[^1]);
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_once_per_token()
    {
        float[] logits = [2f, -1f, 0.5f, 3f, -0.2f];
        SamplingFilter.RepetitionPenalty(logits, [0, 1, 1, 4, 99], 2.0);   // 99 is outside the vocabulary: ignored
        Assert.Equal([1f, -2f, 0.5f, 3f, -0.4f], logits);
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplingFilter.RepetitionPenalty(logits, [0], 0));
    }
}
