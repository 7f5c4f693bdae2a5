using SharpAttention.Tensors;
using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void HandWorkedConfusionMatrix()
    {
        // targets:     0 0 0 1 1 2 2 2 2 (pad)
        // predictions: 0 0 1 1 2 2 2 0 2  x
        var m = new ClassificationMetrics(3, ignoreIndex: -1);
        m.Update(Tensor.FromArray(new long[] { 0, 0, 1, 1, 2, 2, 2, 0, 2, 1 }, 10), Tensor.FromArray(new long[] { 0, 0, 0, 1, 1, 2, 2, 2, 2, -1 }, 10));
        Assert.Equal(9, m.Count);
        Assert.Equal(6.0 / 9, m.Accuracy, 12);
        Assert.Equal(2.0 / 3, m.Precision(0), 12);   // predicted 0 three times, twice right
        Assert.Equal(2.0 / 3, m.Recall(0), 12);
        Assert.Equal(0.5, m.Precision(1), 12);
        Assert.Equal(0.5, m.Recall(1), 12);
        Assert.Equal(0.75, m.Precision(2), 12);
        Assert.Equal(0.75, m.Recall(2), 12);
        Assert.Equal((2.0 / 3 + 0.5 + 0.75) / 3, m.MacroF1, 12);
        Assert.Equal(m.Accuracy, m.MicroF1);
    }

    [Fact]
    public void LogitsUseTheArgMaxAndBatchesAccumulate()
    {
        var m = new ClassificationMetrics(2);
        m.UpdateFromLogits(Tensor.FromArray([0.1f, 0.9f, 2f, -1f], 2, 2), Tensor.FromArray(new long[] { 1, 1 }, 2));
        m.UpdateFromLogits(Tensor.FromArray([0.3f, 0.2f], 1, 2), Tensor.FromArray(new long[] { 0 }, 1));
        Assert.Equal(2.0 / 3, m.Accuracy, 12);
        Assert.Equal(1, m.Confusion(1, 0));
        Assert.Equal(1.0, m.Recall(0), 12);
        Assert.Contains("not a class", Assert.Throws<ArgumentException>(() => m.Update([0L], [5L])).Message);
        m.Reset();
        Assert.Equal(0, m.Count);
        Assert.Equal(0, m.Accuracy);
    }

    [Fact]
    public void PerplexityIsTheExponentOfTheTokenWeightedMeanLoss()
    {
        var meter = new LossMeter();
        Assert.True(double.IsNaN(meter.Mean));
        meter.Add(2.0, 10);
        meter.Add(4.0, 30);
        Assert.Equal(3.5, meter.Mean, 12);
        Assert.Equal(Math.Exp(3.5), meter.Perplexity, 9);
    }
}
