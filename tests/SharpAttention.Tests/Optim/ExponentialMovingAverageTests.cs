using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Optim;

public class ExponentialMovingAverageTests
{
    static Linear Layer(ulong seed) => new(3, 2, generator: new Generator(seed));

    static double[] Values(Tensor t) => t.ToArray().Select(v => (double)v).ToArray();

    static void SetParameters(Module m, Generator g)
    {
        foreach (var p in m.Parameters()) p.Detach().CopyFrom_(Tensor.Randn(p.Shape.ToArray(), g));
    }

    [Fact]
    public void FirstUpdateCopiesLaterUpdatesFollowTheRecurrence()
    {
        var layer = Layer(1);
        var ema = new ExponentialMovingAverage(layer, decay: 0.9);
        var g = new Generator(7);
        // The reference recurrence, written out in double: avg_1 = p_1, avg_k = 0.9 avg_{k-1} + 0.1 p_k.
        var expected = layer.NamedParameters().ToDictionary(p => p.Name, _ => (double[]?)null);
        for (int k = 0; k < 5; k++)
        {
            SetParameters(layer, g);
            ema.Update();
            foreach (var (name, p) in layer.NamedParameters())
            {
                var v = Values(p);
                expected[name] = expected[name] is { } prev ? prev.Zip(v, (a, x) => 0.9 * a + 0.1 * x).ToArray() : v;
            }
        }
        Assert.Equal(5, ema.NumAveraged);
        var state = ema.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (name, want) in expected)
        {
            var got = Values(state["module." + name]);
            for (int i = 0; i < want!.Length; i++) Assert.Equal(want[i], got[i], 5);
        }
        Assert.Equal(5L, state["n_averaged"].ToInt64Array()[0]);
    }

    [Fact]
    public void SwapExchangesAndASecondSwapRestores()
    {
        var layer = Layer(2);
        var ema = new ExponentialMovingAverage(layer, decay: 0.5);
        Assert.Throws<InvalidOperationException>(ema.Swap);
        var g = new Generator(3);
        ema.Update();
        SetParameters(layer, g);
        ema.Update();
        var trained = layer.Parameters().Select(Values).ToArray();
        var averaged = ema.StateDict().Where(kv => kv.Key.StartsWith("module.")).Select(kv => Values(kv.Value)).ToArray();
        ema.Swap();
        Assert.Equal(averaged, layer.Parameters().Select(Values).ToArray());
        // While swapped the state still names the averages, and nothing may fold the wrong weights into them.
        Assert.Equal(averaged, ema.StateDict().Where(kv => kv.Key.StartsWith("module.")).Select(kv => Values(kv.Value)).ToArray());
        Assert.Contains("swapped in", Assert.Throws<InvalidOperationException>(ema.Update).Message);
        Assert.Throws<InvalidOperationException>(ema.CopyTo);
        ema.Swap();
        Assert.Equal(trained, layer.Parameters().Select(Values).ToArray());

        // The averaged weights are in place while the action runs, and the trained ones come back even when it throws.
        var seen = ema.WithAveragedParameters(() => layer.Parameters().Select(Values).ToArray());
        Assert.Equal(averaged, seen);
        Assert.Throws<ArithmeticException>(() => ema.WithAveragedParameters<int>(() => throw new ArithmeticException()));
        Assert.Equal(trained, layer.Parameters().Select(Values).ToArray());

        ema.CopyTo();
        Assert.Equal(averaged, layer.Parameters().Select(Values).ToArray());
    }

    [Fact]
    public void StateRoundTripsAndAMismatchChangesNothing()
    {
        var a = Layer(4);
        var ema = new ExponentialMovingAverage(a, decay: 0.99);
        ema.Update();
        SetParameters(a, new Generator(5));
        ema.Update();
        var state = ema.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

        var b = Layer(6);
        var other = new ExponentialMovingAverage(b, decay: 0.99);
        other.LoadStateDict(state);
        Assert.Equal(2, other.NumAveraged);
        Assert.Equal(state.Values.Select(Values), other.StateDict().Select(kv => Values(kv.Value)));

        var wide = new ExponentialMovingAverage(new Linear(4, 2, generator: new Generator(8)), decay: 0.99);
        var e = Assert.Throws<ArgumentException>(() => wide.LoadStateDict(state));
        Assert.Contains("'module.weight' is float32 (2,3), expected float32 (2,4)", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, wide.NumAveraged);
        Assert.All(wide.StateDict().Where(kv => kv.Key.StartsWith("module.")), kv => Assert.All(Values(kv.Value), v => Assert.Equal(0.0, v)));

        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("module.bias");
        missing["module.extra"] = Tensor.Zeros(1);
        var problems = other.CheckState(missing);
        Assert.Contains("missing key 'module.bias'", problems);
        Assert.Contains("unexpected key 'module.extra'", problems);
    }

    [Fact]
    public void BadDecayAndParametersAreNamed()
    {
        Assert.Contains("decay must lie in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(Layer(1), 1.0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(Layer(1), double.NaN));
        Assert.Throws<ArgumentNullException>(() => new ExponentialMovingAverage(null!));
    }
}
