using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Optim;

public class ScheduleTests
{
    static Sgd Optimizer(double lr = 1.0) => new([Tensor.Zeros(2).RequiresGrad_()], lr);

    static List<double> Rates(LRScheduler s, int steps)
    {
        var rates = new List<double> { s.Optimizer.LearningRate };
        for (int i = 0; i < steps; i++)
        {
            s.Step();
            rates.Add(s.Optimizer.LearningRate);
        }
        return rates;
    }

    [Fact]
    public void NoamFollowsThePaperFormula()
    {
        // Vaswani et al. §5.3 with d_model = 512, warmup = 4000: peak 512^-0.5 · 4000^-0.5 ≈ 7.0e-4 at step 4000.
        var s = new NoamLR(Optimizer(), 512, 4000);
        var rates = Rates(s, 8000);
        Assert.Equal(Math.Pow(512, -0.5) * Math.Pow(4000, -1.5), rates[0], 15);   // step 0 uses step 1
        Assert.Equal(Math.Pow(512, -0.5) * 100 * Math.Pow(4000, -1.5), rates[100], 15);
        Assert.Equal(1 / Math.Sqrt(512.0 * 4000), rates[4000], 15);
        Assert.Equal(Math.Pow(512, -0.5) / Math.Sqrt(8000), rates[8000], 15);
        Assert.Equal(4000, rates.IndexOf(rates.Max()));
    }

    [Fact]
    public void NoamScalesByTheInitialLearningRateOfEachGroup()
    {
        var a = Tensor.Zeros(1).RequiresGrad_();
        var b = Tensor.Zeros(1).RequiresGrad_();
        var opt = new Adam([new ParamGroup([a]), new ParamGroup([b], lr: 0.5)], lr: 2.0);
        var s = new NoamLR(opt, 64, 10);
        s.Step();
        double f = Math.Pow(64, -0.5) * Math.Pow(10, -1.5);
        Assert.Equal(2.0 * f, opt.ParamGroups[0].Lr, 15);
        Assert.Equal(0.5 * f, opt.ParamGroups[1].Lr, 15);
        Assert.Equal([2.0 * f, 0.5 * f], s.GetLastLr());
    }

    [Theory]
    [InlineData(DecayShape.Cosine)]
    [InlineData(DecayShape.Linear)]
    public void WarmupDecayRisesLinearlyThenFallsToTheFloor(DecayShape shape)
    {
        var s = new WarmupDecayLR(Optimizer(0.1), warmupSteps: 10, totalSteps: 110, shape, minFactor: 0.1);
        var r = Rates(s, 130);
        Assert.Equal(0.0, r[0]);
        Assert.Equal(0.05, r[5], 15);
        Assert.Equal(0.1, r[10], 15);
        // Halfway through the decay both shapes are at the middle between peak and floor.
        Assert.Equal(0.1 * (0.1 + 0.9 * 0.5), r[60], 12);
        double quarter = shape == DecayShape.Cosine ? 0.5 * (1 + Math.Cos(Math.PI * 0.25)) : 0.75;
        Assert.Equal(0.1 * (0.1 + 0.9 * quarter), r[35], 12);
        Assert.Equal(0.01, r[110], 15);
        Assert.Equal(0.01, r[130], 15);
        for (int i = 11; i <= 110; i++) Assert.True(r[i] <= r[i - 1]);
    }

    [Fact]
    public void InverseSqrtPeaksAtTheInitialRate()
    {
        var r = Rates(new InverseSqrtLR(Optimizer(0.3), 4), 16);
        Assert.Equal([0.075, 0.15, 0.225, 0.3], r.Take(4).Select(x => Math.Round(x, 12)));
        Assert.Equal(0.3, r[4], 12);
        Assert.Equal(0.3 * Math.Sqrt(4.0 / 16), r[16], 12);
    }

    [Fact]
    public void LoadStateResumesTheSameRates()
    {
        var first = new WarmupDecayLR(Optimizer(1), 5, 50);
        var rates = Rates(first, 30);
        var second = new WarmupDecayLR(Optimizer(1), 5, 50);
        second.LoadState(20);
        Assert.Equal(rates[20], second.Optimizer.LearningRate);
        second.Step();
        Assert.Equal(rates[21], second.Optimizer.LearningRate);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Contains("warm-up steps", Assert.Throws<ArgumentOutOfRangeException>(() => new NoamLR(Optimizer(), 512, 0)).Message);
        Assert.Contains("fewer than", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupDecayLR(Optimizer(), 10, 5)).Message);
        Assert.Contains("not a finite", Assert.Throws<InvalidOperationException>(() => new LambdaLR(Optimizer(), _ => double.NaN)).Message);
    }

    [Fact]
    public void ConstantAndLambdaSchedules()
    {
        Assert.All(Rates(new ConstantLR(Optimizer(0.2)), 5), r => Assert.Equal(0.2, r));
        Assert.Equal([1.0, 0.5, 0.25, 0.125], Rates(new LambdaLR(Optimizer(), k => Math.Pow(0.5, k)), 3));
    }
}
