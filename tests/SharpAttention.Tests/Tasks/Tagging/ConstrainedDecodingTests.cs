using SharpAttention.Decoding;
using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Tests.Tasks.Tagging;

public class ConstrainedDecodingTests
{
    static readonly string[] Bio = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"];
    static readonly string[] Bioes = ["O", "B-X", "I-X", "E-X", "S-X", "B-Y", "E-Y"];

    // Every sequence of length t over the tags, by counting in base C.
    static IEnumerable<int[]> AllSequences(int t, int c)
    {
        var seq = new int[t];
        for (long n = 0, total = (long)Math.Pow(c, t); n < total; n++)
        {
            long r = n;
            for (int i = t - 1; i >= 0; i--) { seq[i] = (int)(r % c); r /= c; }
            yield return (int[])seq.Clone();
        }
    }

    // The oracle: the rules written out tag by tag, independent of TagSchemes.Allowed.
    static bool ValidBio(IReadOnlyList<string> tags)
    {
        for (int i = 0; i < tags.Count; i++)
            if (tags[i].StartsWith("I-") && (i == 0 || tags[i - 1] == "O" || tags[i - 1][2..] != tags[i][2..])) return false;
        return true;
    }

    static bool ValidBioes(IReadOnlyList<string> tags)
    {
        string? open = null;   // type of the span being built
        foreach (var tag in tags)
        {
            char p = tag[0];
            string type = tag.Length > 2 ? tag[2..] : "";
            if (open is null && p is 'I' or 'E') return false;
            if (open is not null && (p is 'O' or 'B' or 'S' || type != open)) return false;
            open = p is 'B' or 'I' ? type : null;
        }
        return open is null;
    }

    [Theory]
    [InlineData(1, 11)]
    [InlineData(3, 12)]
    [InlineData(4, 13)]
    [InlineData(5, 14)]
    public void BioEqualsBruteForce(int t, int seed) => CheckAgainstBruteForce(TagScheme.Bio, Bio, ValidBio, t, seed);

    [Theory]
    [InlineData(1, 21)]
    [InlineData(2, 22)]
    [InlineData(4, 23)]
    [InlineData(5, 24)]
    public void BioesEqualsBruteForce(int t, int seed) => CheckAgainstBruteForce(TagScheme.Bioes, Bioes, ValidBioes, t, seed);

    static void CheckAgainstBruteForce(TagScheme scheme, string[] tags, Func<IReadOnlyList<string>, bool> valid, int t, int seed)
    {
        var random = new Random(seed);
        var (transitions, start, end) = TagSchemes.Constraints(scheme, tags);
        for (int trial = 0; trial < 20; trial++)
        {
            // Scores that favour invalid sequences now and then: I- tags get a bonus in half the trials.
            var scores = new double[t * tags.Length];
            for (int i = 0; i < scores.Length; i++)
                scores[i] = Math.Log(random.NextDouble()) + (trial % 2 == 0 && tags[i % tags.Length].StartsWith("I-") ? 2 : 0);
            int[]? best = null;
            double bestScore = double.NegativeInfinity;
            foreach (var seq in AllSequences(t, tags.Length))
            {
                if (!valid([.. seq.Select(c => tags[c])])) continue;
                double s = seq.Select((c, i) => scores[i * tags.Length + c]).Sum();
                if (s > bestScore) (best, bestScore) = (seq, s);
            }
            var path = Viterbi.Decode(scores, tags.Length, transitions, start, end);
            Assert.Equal(best, path);
            Assert.True(valid([.. path.Select(c => tags[c])]));
        }
    }

    [Fact]
    public void IAfterOIsReplaced()
    {
        // Argmax alone gives O I-PER; the best valid sequence is O B-PER (score −0.1 −1.5 beats B-PER I-PER at −3 −0.1).
        string[] tags = ["O", "B-PER", "I-PER"];
        double[] scores = [-0.1, -3, -2.5, /* */ -2, -1.5, -0.2];
        var (tr, s, e) = TagSchemes.Constraints(TagScheme.Bio, tags);
        Assert.Equal([0, 1], Viterbi.Decode(scores, 3, tr, s, e));
    }

    [Fact]
    public void WithoutAnyValidPathFallsBackToArgmax()
    {
        var none = new bool[2, 2];
        Assert.Equal([1, 0], Viterbi.Decode([0.1, 0.9, 0.8, 0.2], 2, none));
    }

    [Theory]
    [InlineData(new[] { "O", "B-PER", "I-PER" }, TagScheme.Bio)]
    [InlineData(new[] { "O", "S-PER", "B-PER", "E-PER" }, TagScheme.Bioes)]
    [InlineData(new[] { "nn", "vb" }, TagScheme.None)]
    [InlineData(new[] { "O" }, TagScheme.None)]
    [InlineData(new[] { "O", "B-PER", "nn" }, TagScheme.None)]
    public void DetectsTheScheme(string[] tags, TagScheme expected) => Assert.Equal(expected, TagSchemes.Detect(tags));
}
