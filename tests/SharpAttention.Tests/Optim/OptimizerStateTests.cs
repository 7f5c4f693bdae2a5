using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Optim;

public class OptimizerStateTests
{
    static (Tensor[] Params, Tensor[][] Grads) Problem(int steps)
    {
        var g = new Generator(7);
        var ps = new[] { Tensor.Randn([3, 4], generator: g).RequiresGrad_(), Tensor.Randn([4], generator: g).RequiresGrad_() };
        var grads = Enumerable.Range(0, steps).Select(_ => ps.Select(p => Tensor.Randn(p.Shape.ToArray(), generator: g)).ToArray()).ToArray();
        return (ps, grads);
    }

    static void Run(Optimizer opt, Tensor[] ps, Tensor[][] grads, int from, int to)
    {
        for (int s = from; s < to; s++)
        {
            for (int j = 0; j < ps.Length; j++) ps[j].Grad = grads[s][j];
            opt.Step();
        }
    }

    public static TheoryData<string> Kinds() => new() { "sgd", "adam", "adamw_amsgrad" };

    static Optimizer Make(string kind, Tensor[] ps) => kind switch
    {
        "sgd" => new Sgd(ps, lr: 0.1, momentum: 0.9, nesterov: true),
        "adam" => new Adam(ps, lr: 0.01, weightDecay: 0.1),
        _ => new AdamW(ps, lr: 0.01, amsgrad: true),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveAndLoadResumesBitExactly(string kind)
    {
        var (ps, grads) = Problem(10);
        var straight = ps.Select(p => p.Detach().Clone().RequiresGrad_()).ToArray();
        Run(Make(kind, straight), straight, grads, 0, 10);

        var first = Make(kind, ps);
        Run(first, ps, grads, 0, 5);
        var saved = first.StateDict();
        Run(first, ps, grads, 5, 7);   // moving on must not change the saved dict
        var (again, _) = Problem(0);
        Run(Make(kind, again), again, grads, 0, 5);
        var resumed = Make(kind, again);
        resumed.LoadStateDict(saved);
        Run(resumed, again, grads, 5, 10);
        for (int j = 0; j < ps.Length; j++) Assert.Equal(straight[j].ToArray(), again[j].ToArray());
    }

    [Fact]
    public void StateDictUsesTorchNames()
    {
        var (ps, grads) = Problem(1);
        var opt = new Adam(ps, amsgrad: true);
        Run(opt, ps, grads, 0, 1);
        var keys = opt.StateDict().Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["param_groups.0.initial_lr", "param_groups.0.lr", "param_groups.0.weight_decay",
                      "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq", "state.0.step",
                      "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq", "state.1.step"], keys);
    }

    [Fact]
    public void LoadingABadDictListsEveryProblemAndChangesNothing()
    {
        var (ps, grads) = Problem(2);
        var opt = new Adam(ps, lr: 0.01);
        Run(opt, ps, grads, 0, 1);
        var good = opt.StateDict();
        var bad = new Dictionary<string, Tensor>(good);
        bad.Remove("param_groups.0.lr");
        bad["state.0.exp_avg"] = Tensor.Zeros(2, 2);
        bad["state.9.exp_avg"] = Tensor.Zeros(4);
        bad["state.1.momentum_buffer"] = Tensor.Zeros(4);
        var before = opt.StateDict();
        var e = Assert.Throws<ArgumentException>(() => opt.LoadStateDict(bad));
        Assert.Contains("missing key 'param_groups.0.lr'", e.Message);
        Assert.Contains("'state.0.exp_avg': shape (2,2) differs from the parameter's (3,4)", e.Message);
        Assert.Contains("unexpected key 'state.9.exp_avg'", e.Message);
        Assert.Contains("'state.1.momentum_buffer': Adam keeps no state named 'momentum_buffer'", e.Message);
        var after = opt.StateDict();
        foreach (var (k, v) in before) Assert.Equal(v.ToArray(), after[k].ToArray());
    }

    [Fact]
    public void ParametersWithoutGradientsKeepTheirOwnStepCount()
    {
        var (ps, grads) = Problem(3);
        var opt = new Adam(ps);
        Run(opt, ps, grads, 0, 2);
        ps[1].Grad = null;
        ps[0].Grad = grads[2][0];
        opt.Step();
        var state = opt.StateDict();
        Assert.Equal(3.0, state["state.0.step"].ItemDouble());
        Assert.Equal(2.0, state["state.1.step"].ItemDouble());
    }

    [Fact]
    public void ZeroGradSetsToNoneOrZeroes()
    {
        var (ps, grads) = Problem(1);
        var opt = new Sgd(ps, lr: 0.1);
        ps[0].Grad = grads[0][0];
        opt.ZeroGrad(setToNone: false);
        Assert.All(ps[0].Grad!.ToArray(), v => Assert.Equal(0f, v));
        Assert.Null(ps[1].Grad);
        opt.ZeroGrad();
        Assert.Null(ps[0].Grad);
    }

    [Fact]
    public void ConstructorErrorsNameTheProblem()
    {
        var p = Tensor.Ones(2).RequiresGrad_();
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([p]), new ParamGroup([p])])).Message);
        Assert.Contains("invalid learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], lr: -1)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([p], nesterov: true)).Message);
        Assert.Contains("must be a leaf", Assert.Throws<ArgumentException>(() => new AdamW([p * 2.0])).Message);
        Assert.Contains("empty list", Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<ParamGroup>())).Message);
    }

    [Fact]
    public void ClipGradNormReportsAndRejectsNonFiniteNorms()
    {
        var p = Tensor.Ones(2).RequiresGrad_();
        p.Grad = Tensor.FromArray([3f, 4f], 2);
        Assert.Equal(5.0, GradClip.ClipGradNorm_([p], 1.0), 6);
        Assert.Equal(1.0, Math.Sqrt(p.Grad!.ToArray().Sum(v => v * v)), 5);
        p.Grad = Tensor.FromArray([float.NaN, 1f], 2);
        Assert.Contains("is NaN", Assert.Throws<InvalidOperationException>(() => GradClip.ClipGradNorm_([p], 1.0, errorIfNonfinite: true)).Message);
        var q = Tensor.Ones(3).RequiresGrad_();
        q.Grad = Tensor.FromArray([-5f, 0.5f, 2f], 3);
        GradClip.ClipGradValue_([q], 1.0);
        Assert.Equal([-1f, 0.5f, 1f], q.Grad!.ToArray());
    }
}
