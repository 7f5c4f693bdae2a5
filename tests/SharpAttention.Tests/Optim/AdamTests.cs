using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Optim;

public class AdamTests
{
    [Fact]
    public void FirstStepMovesEachWeightByLrTimesSignOfGradient()
    {
        // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps).
        var p = Tensor.FromArray(new double[] { 1.0, -2.0, 0.5 }, 3).RequiresGrad_();
        p.Grad = Tensor.FromArray(new double[] { 0.3, -4.0, 1e-3 }, 3);
        new Adam([p], lr: 0.1, eps: 1e-8).Step();
        var expected = new[] { 1.0 - 0.1 * 0.3 / (0.3 + 1e-8), -2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 0.5 - 0.1 * 1e-3 / (1e-3 + 1e-8) };
        var actual = p.ToDoubleArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void SecondStepFollowsTheAdamRecurrence()
    {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        double w = 0.7, m = 0, v = 0;
        var grads = new[] { 0.5, -0.25 };
        var p = Tensor.FromArray(new[] { w }, 1).RequiresGrad_();
        var adam = new Adam([p], lr, b1, b2, eps, weightDecay: wd);
        for (int t = 1; t <= 2; t++)
        {
            p.Grad = Tensor.FromArray(new[] { grads[t - 1] }, 1);
            adam.Step();
            double g = grads[t - 1] + wd * w;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            w -= lr * (m / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v / (1 - Math.Pow(b2, t))) + eps);
        }
        Assert.Equal(w, p.ToDoubleArray()[0], 12);
    }

    [Fact]
    public void AdamWDecaysWeightsDirectly()
    {
        var p = Tensor.FromArray(new double[] { 2.0 }, 1).RequiresGrad_();
        p.Grad = Tensor.FromArray(new double[] { 1.0 }, 1);
        new AdamW([p], lr: 0.1, weightDecay: 0.5).Step();
        Assert.Equal(2.0 * (1 - 0.1 * 0.5) - 0.1 * 1.0 / (1.0 + 1e-8), p.ToDoubleArray()[0], 12);
    }

    [Fact]
    public void RejectsNonLeafParameters()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => new Adam([x * 2.0]));
    }
}
