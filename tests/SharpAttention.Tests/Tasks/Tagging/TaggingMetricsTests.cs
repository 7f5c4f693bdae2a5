using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Tests.Tasks.Tagging;

// Expected values are worked out by hand from conlleval's rules (CoNLL-2000 script, with its IOBES extension).
public class TaggingMetricsTests
{
    static string[] T(string tags) => tags.Split(' ');

    static TaggingMetrics Score(string gold, string predicted, TagScheme scheme = TagScheme.Bio)
    {
        var m = new TaggingMetrics(scheme);
        var g = T(gold);
        m.Update([.. g.Select((_, i) => $"w{i}")], g, T(predicted));
        return m;
    }

    [Theory]
    [InlineData("B-PER I-PER O", "0 1 PER")]
    [InlineData("I-PER I-PER O", "0 1 PER")]             // an I- without a B- starts a span
    [InlineData("O I-PER I-PER", "1 2 PER")]
    [InlineData("B-ORG I-PER", "0 0 ORG|1 1 PER")]       // a type change ends one span and starts another
    [InlineData("B-PER B-PER", "0 0 PER|1 1 PER")]       // adjacent spans of one type stay apart
    [InlineData("B-PER I-PER B-PER O I-LOC", "0 1 PER|2 2 PER|4 4 LOC")]
    [InlineData("S-X S-X B-X I-X E-X", "0 0 X|1 1 X|2 4 X")]
    [InlineData("O E-X B-X E-X I-X", "1 1 X|2 3 X|4 4 X")]
    [InlineData("O O", "")]
    public void SpansReadAsConllevalReadsThem(string tags, string expected)
    {
        var spans = TagSchemes.Spans(T(tags)).Select(s => $"{s.Start} {s.End} {s.Type}");
        Assert.Equal(expected, string.Join('|', spans));
    }

    [Fact]
    public void SpanStartingWithIMatchesTheGoldSpan()
    {
        var m = Score("B-PER I-PER O", "I-PER I-PER O");
        Assert.Equal((1L, 1L, 1L), m.SpanCounts());
        Assert.Equal(1.0, m.SpanF1());
        Assert.Equal(2.0 / 3, m.Accuracy, 12);   // the tags differ at word 0 even though the span is right
    }

    [Fact]
    public void TypeMismatchCountsNothing()
    {
        var m = Score("B-PER I-PER O", "B-ORG I-ORG O");
        Assert.Equal((0L, 1L, 1L), m.SpanCounts());
        Assert.Equal(0.0, m.SpanF1());
    }

    [Fact]
    public void BoundaryMismatchCountsNothing()
    {
        var m = Score("B-PER I-PER O", "B-PER O O");
        Assert.Equal((0L, 1L, 1L), m.SpanCounts());
        var late = Score("O B-PER I-PER", "B-PER I-PER I-PER");
        Assert.Equal((0L, 1L, 1L), late.SpanCounts());
    }

    [Fact]
    public void AdjacentSpansOfOneTypeMergedCountAsWrong()
    {
        var m = Score("B-PER B-PER", "B-PER I-PER");
        Assert.Equal((0L, 1L, 2L), m.SpanCounts());
        Assert.Equal((0.0, 0.0, 0.0), (m.SpanPrecision(), m.SpanRecall(), m.SpanF1()));
    }

    [Fact]
    public void MixedSentenceByHand()
    {
        // gold spans (0,1,PER) (3,3,LOC) (4,5,LOC); predicted (0,1,PER) (3,5,LOC) (7,7,ORG):
        // 1 correct of 3 found and 3 gold → P = R = 1/3, F1 = 1/3; PER alone is perfect, LOC 0/1 of 2, ORG 0/1 of 0.
        var m = Score("B-PER I-PER O B-LOC B-LOC I-LOC O O", "B-PER I-PER O B-LOC I-LOC I-LOC O B-ORG");
        Assert.Equal((1L, 3L, 3L), m.SpanCounts());
        Assert.Equal(1.0 / 3, m.SpanF1(), 12);
        Assert.Equal(1.0, m.SpanF1("PER"));
        Assert.Equal((0L, 1L, 2L), m.SpanCounts("LOC"));
        Assert.Equal((0L, 1L, 0L), m.SpanCounts("ORG"));
        Assert.Equal(6.0 / 8, m.Accuracy, 12);
        // Token level: B-LOC gold 2 (one right), predicted 1 → P 1, R 1/2; I-LOC gold 1, predicted 2 → P 1/2, R 1.
        Assert.Equal((1.0, 0.5), (m.Precision("B-LOC"), m.Recall("B-LOC")));
        Assert.Equal((0.5, 1.0), (m.Precision("I-LOC"), m.Recall("I-LOC")));
        Assert.Equal(2.0 / 3, m.F1("I-LOC"), 12);
        // B-ORG: predicted once, never gold → precision 0, recall undefined, F1 0.
        Assert.Equal(0.0, m.Precision("B-ORG"));
        Assert.True(double.IsNaN(m.Recall("B-ORG")));
        Assert.Equal(0.0, m.F1("B-ORG"));
    }

    [Fact]
    public void UnseenWordsAndConfusedPairs()
    {
        var m = new TaggingMetrics(TagScheme.None, new HashSet<string> { "the", "dog" });
        m.Update(["the", "dog", "zorbed"], ["at", "nn", "vbd"], ["at", "nn", "nn"]);
        m.Update(["the", "Blick", "zorbed"], ["at", "nn", "vbd"], ["at", "jj", "nn"]);
        Assert.Equal(3.0 / 6, m.Accuracy, 12);
        Assert.Equal((3L, 0L), (m.UnseenCount, m.UnseenCorrect));
        Assert.Equal([("vbd", "nn", 2L), ("nn", "jj", 1L)], m.MostConfused());
        // nn: gold twice (dog right, Blick wrong), predicted three times (dog, zorbed twice) → P 1/3, R 1/2.
        Assert.Equal((1.0 / 3, 0.5, 2L), (m.Precision("nn"), m.Recall("nn"), m.Support("nn")));
        var json = m.ToJson();
        Assert.Equal(0.0, json["unseen_accuracy"]!.GetValue<double>());
        Assert.Equal("vbd", json["most_confused"]![0]!["gold"]!.GetValue<string>());
        Assert.Null(json["span_f1"]);
    }

    [Fact]
    public void JsonHoldsSpanMetricsForBio()
    {
        var json = Score("B-PER I-PER O", "B-PER I-PER O").ToJson();
        Assert.Equal(1.0, json["span_f1"]!.GetValue<double>());
        Assert.Equal(1L, json["per_type"]!["PER"]!["correct"]!.GetValue<long>());
        Assert.Equal("BIO", json["scheme"]!.GetValue<string>());
    }
}
