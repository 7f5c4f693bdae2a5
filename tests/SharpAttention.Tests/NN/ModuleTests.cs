using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.NN;

public class ModuleTests
{
    /// <summary>A parameter, a persistent and a non-persistent buffer, a disabled bias and two children.</summary>
    sealed class Toy : Module
    {
        public readonly Tensor Scale;
        public readonly Linear Proj, Head;
        public Toy(bool tie = false)
        {
            Scale = RegisterParameter("scale", Tensor.Ones(3));
            RegisterParameter("unused_bias", null);
            RegisterBuffer("steps", Tensor.Zeros(1));
            RegisterBuffer("cache", Tensor.Zeros(2), persistent: false);
            Proj = RegisterModule("proj", new Linear(3, 4, generator: new Generator(1)));
            Head = RegisterModule("head", new Linear(4, 3, bias: false, generator: new Generator(2)));
            if (tie) RegisterModule("tied", new Tied(Proj.Weight));
        }
    }

    sealed class Tied : Module
    {
        public Tied(Tensor shared) => RegisterParameter("weight", shared);
    }

    [Fact]
    public void StateDictOrderIsOwnParametersThenBuffersThenChildren()
    {
        Assert.Equal(["scale", "steps", "proj.weight", "proj.bias", "head.weight"], new Toy().StateDict().Keys);
    }

    [Fact]
    public void NamedListingsUseDottedNames()
    {
        var m = new Toy();
        Assert.Equal(["scale", "proj.weight", "proj.bias", "head.weight"], m.NamedParameters().Select(p => p.Name));
        Assert.Equal(["steps", "cache"], m.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["scale"], m.NamedParameters(recurse: false).Select(p => p.Name));
        Assert.Equal(["enc.scale", "enc.proj.weight", "enc.proj.bias", "enc.head.weight"], m.NamedParameters("enc").Select(p => p.Name));
        Assert.Equal(["", "proj", "head"], m.NamedModules().Select(x => x.Name));
        Assert.Equal(["proj", "head"], m.NamedChildren().Select(x => x.Name));
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
        Assert.Same(m.Proj.Weight, m.Parameters().ElementAt(1));
    }

    [Fact]
    public void TiedParametersAreListedOnceButSavedUnderEveryKey()
    {
        var m = new Toy(tie: true);
        Assert.Equal(4, m.Parameters().Count());
        Assert.Contains("tied.weight", m.StateDict().Keys);
        Assert.DoesNotContain("tied.weight", m.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void StateDictValuesShareStorageButAreDetached()
    {
        var m = new Toy();
        var sd = m.StateDict();
        Assert.False(sd["proj.weight"].RequiresGrad);
        using (SharpAttention.Autograd.GradMode.NoGrad()) m.Proj.Weight.Fill_(3);
        Assert.All(sd["proj.weight"].ToArray(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void TrainAndEvalReachEveryDescendant()
    {
        var m = new Toy();
        Assert.True(m.Training);
        m.Eval();
        Assert.All(m.Modules(), x => Assert.False(x.Training));
        m.Train();
        Assert.All(m.Modules(), x => Assert.True(x.Training));
    }

    [Fact]
    public void ZeroGradDropsEveryGradient()
    {
        var m = new Toy();
        m.Head.Forward(m.Proj.Forward(Tensor.Ones(2, 3) * m.Scale)).Sum().Backward();
        Assert.All(m.Parameters(), p => Assert.NotNull(p.Grad));
        m.ZeroGrad();
        Assert.All(m.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void LoadStateDictCopiesInPlaceAndConvertsDType()
    {
        var source = new Toy();
        using (SharpAttention.Autograd.GradMode.NoGrad()) source.Scale.Fill_(5);
        var target = new Toy();
        var weight = target.Proj.Weight;
        var sd = source.StateDict();
        sd["steps"] = Tensor.Full([1], 7, DType.Float64);
        var result = target.LoadStateDict(sd);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Same(weight, target.Proj.Weight);   // references (optimizers) stay valid
        Assert.Equal(source.Proj.Weight.ToArray(), target.Proj.Weight.ToArray());
        Assert.Equal([5f, 5f, 5f], target.Scale.ToArray());
        Assert.Equal(7f, target.Buffers().First().Item());
        Assert.True(target.Proj.Weight.RequiresGrad);
    }

    [Fact]
    public void StrictLoadListsEveryProblemAndChangesNothing()
    {
        var m = new Toy();
        var before = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var sd = new Toy().StateDict();
        sd.Remove("scale");
        sd.Remove("head.weight");
        sd["proj.bias"] = Tensor.Zeros(5);
        sd["extra"] = Tensor.Zeros(1);
        sd["proj.gamma"] = Tensor.Zeros(1);
        var e = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        Assert.Equal(["scale", "head.weight"], e.MissingKeys);
        Assert.Equal(["extra", "proj.gamma"], e.UnexpectedKeys);
        Assert.Single(e.SizeMismatches);
        Assert.Contains("size mismatch for proj.bias", e.Message);
        Assert.Contains("(5,)", e.Message);
        Assert.Contains("Missing key(s) in state_dict: \"scale\", \"head.weight\"", e.Message);
        foreach (var (key, value) in m.StateDict()) Assert.Equal(before[key], value.ToArray());
    }

    [Fact]
    public void NonStrictLoadReportsWhatItSkipped()
    {
        var m = new Toy();
        var head = m.Head.Weight.ToArray();
        var source = new Toy();
        var sd = source.StateDict();
        sd.Remove("head.weight");
        sd["extra"] = Tensor.Zeros(1);
        var result = m.LoadStateDict(sd, strict: false);
        Assert.Equal(["head.weight"], result.MissingKeys);
        Assert.Equal(["extra"], result.UnexpectedKeys);
        Assert.Equal(head, m.Head.Weight.ToArray());
        Assert.Equal(source.Proj.Weight.ToArray(), m.Proj.Weight.ToArray());
    }

    [Fact]
    public void NonStrictLoadStillRefusesWrongShapes()
    {
        var m = new Toy();
        var sd = new Toy().StateDict();
        sd["proj.weight"] = Tensor.Zeros(4, 4);
        var e = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd, strict: false));
        Assert.Empty(e.MissingKeys);
        Assert.Single(e.SizeMismatches);
    }

    [Fact]
    public void RegistrationRejectsBadNames()
    {
        var m = new Tied(Tensor.Zeros(1));
        Assert.Throws<ArgumentException>(() => m.RegisterParameter("weight", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => m.RegisterBuffer("a.b", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => m.RegisterModule("", new Tied(Tensor.Zeros(1))));
        Assert.Throws<ArgumentException>(() => m.RegisterParameter("nonleaf", Tensor.Zeros(1).RequiresGrad_() * 2));
    }

    [Fact]
    public void ToStringLooksLikeTorch()
    {
        Assert.Equal("Linear(in_features=3, out_features=4, bias=True)", new Linear(3, 4).ToString());
        Assert.Equal("Toy(\n  (proj): Linear(in_features=3, out_features=4, bias=True)\n  (head): Linear(in_features=4, out_features=3, bias=False)\n)",
                     new Toy().ToString());
    }
}

public class LayerTests
{
    [Fact]
    public void LinearInitialisesLikeTorchAndComputesXWtPlusB()
    {
        var lin = new Linear(16, 8, generator: new Generator(3));
        double bound = 1 / Math.Sqrt(16);
        Assert.All(lin.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(lin.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal(["weight", "bias"], lin.StateDict().Keys);
        var x = Tensor.Randn([2, 5, 16], new Generator(4));
        Assert.Equal(F.Linear(x, lin.Weight, lin.Bias).ToArray(), lin.Forward(x).ToArray());
        Assert.Equal(new Linear(16, 8, generator: new Generator(3)).Weight.ToArray(), lin.Weight.ToArray());
        Assert.Null(new Linear(2, 2, bias: false).Bias);
    }

    [Fact]
    public void DropoutFollowsTrainingMode()
    {
        var d = new Dropout(0.5, new Generator(1));
        var x = Tensor.Ones(1000);
        Assert.Contains(0f, d.Forward(x).ToArray());
        d.Eval();
        Assert.Same(x, d.Forward(x));
        Assert.Throws<ArgumentException>(() => new Dropout(1.5));
    }

    [Fact]
    public void LayerNormHasTorchParameters()
    {
        var ln = new LayerNorm(6);
        Assert.Equal(["weight", "bias"], ln.StateDict().Keys);
        var x = Tensor.Randn([2, 6], new Generator(1));
        Assert.Equal(F.LayerNorm(x, [6]).ToArray(), ln.Forward(x).ToArray());
        Assert.Empty(new LayerNorm(6, elementwiseAffine: false).StateDict());
        Assert.Equal(["weight"], new LayerNorm(6, bias: false).StateDict().Keys);
    }

    [Fact]
    public void InitDistributionsHaveTorchBounds()
    {
        var g = new Generator(9);
        var w = Tensor.Zeros(300, 100);
        Init.XavierUniform_(w, generator: g);
        double a = Math.Sqrt(6.0 / 400);
        var v = w.ToArray();
        Assert.All(v, x => Assert.InRange(x, -a, a));
        Assert.True(v.Max() > 0.95 * a && v.Min() < -0.95 * a);
        Init.KaimingUniform_(w, a: Math.Sqrt(5), generator: g);
        Assert.All(w.ToArray(), x => Assert.InRange(x, -0.1, 0.1));   // 1/√fan_in
        Init.Normal_(w, 0, 2, g);
        var n = w.ToArray();
        double mean = n.Average(), std = Math.Sqrt(n.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(std, 1.95, 2.05);
        Assert.Equal((100, 300), Init.FanInAndFanOut(w));
        Assert.Equal((2 * 5, 3 * 5), Init.FanInAndFanOut(Tensor.Zeros(3, 2, 5)));
        Assert.Throws<ArgumentException>(() => Init.FanInAndFanOut(Tensor.Zeros(3)));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("relu"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
    }
}
