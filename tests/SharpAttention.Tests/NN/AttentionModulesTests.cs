using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.NN.Positional;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using Xunit.Abstractions;

namespace SharpAttention.Tests.NN;

/// <summary>Dot-product, scaled dot-product (causal references), additive and ALiBi attention against the explicit
/// torch formulas in fixtures/modules/attention.safetensors and positional.safetensors.</summary>
public class AttentionModulesTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> DotCases() => ModuleFixture.Cases("attention", "dot_").Concat(ModuleFixture.Cases("attention", "sdpa_"));
    public static IEnumerable<object[]> AdditiveCases() => ModuleFixture.Cases("attention", "additive_");

    [Theory]
    [MemberData(nameof(DotCases))]
    public void DotProductAttentionMatchesTheFormula(string id)
    {
        var f = ModuleFixture.Load("attention", id);
        bool causal = ModuleFixture.Bool(f.Forward, "is_causal"), needWeights = ModuleFixture.Bool(f.Forward, "need_weights");
        double? scale = ModuleFixture.Double(f.Forward, "scale");
        var c = new Comparison(id);
        foreach (var backend in new[] { AttentionBackend.Fused, AttentionBackend.Composed })
        {
            var (q, k, v) = (f.Inputs["query"].Detach().RequiresGrad_(), f.Inputs["key"].Detach().RequiresGrad_(), f.Inputs["value"].Detach().RequiresGrad_());
            Tensor o, w = null!;
            if (needWeights && backend == AttentionBackend.Composed)
            {
                (Tensor, Tensor?) r = scale is null ? new DotProductAttention().Forward(q, k, v, f.Input("attn_mask"), causal)
                                                    : F.ScaledDotProductAttentionWithWeights(q, k, v, f.Input("attn_mask"), isCausal: causal, scale: scale);
                (o, w) = (r.Item1, r.Item2!);
            }
            else
                o = scale is null ? F.DotProductAttention(q, k, v, f.Input("attn_mask"), isCausal: causal)
                                  : F.ScaledDotProductAttention(q, k, v, f.Input("attn_mask"), isCausal: causal, scale: scale, backend: backend);
            string tag = $"[{backend}] ";
            c.Forward(tag + "output", f.Outputs["output"], o);
            if (needWeights && w is null) continue;   // without weights the fixture's gradients are not comparable
            var loss = o.Mul(f.Gouts["output"]).Sum();
            if (w is not null)
            {
                c.Forward(tag + "weights", f.Outputs["weights"], w);
                loss = loss + w.Mul(f.Gouts["weights"]).Sum();
            }
            loss.Backward();
            foreach (var (name, t) in new[] { ("query", q), ("key", k), ("value", v) }) c.Grad(tag + "grad " + name, f.GradInputs[name], t.Grad);
        }
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    [Theory]
    [MemberData(nameof(AdditiveCases))]
    public void AdditiveAttentionMatchesTheFormula(string id)
    {
        var f = ModuleFixture.Load("attention", id);
        var m = new AdditiveAttention(ModuleFixture.Int(f.Init, "query_dim")!.Value, ModuleFixture.Int(f.Init, "key_dim")!.Value,
                                      ModuleFixture.Int(f.Init, "hidden_dim")!.Value);
        m.LoadStateDict(f.Params);
        var (q, k, v) = (f.Inputs["query"].Detach().RequiresGrad_(), f.Inputs["key"].Detach().RequiresGrad_(), f.Inputs["value"].Detach().RequiresGrad_());
        var (o, w) = m.Forward(q, k, v, f.Input("attn_mask"));
        var c = new Comparison(id);
        c.Forward("output", f.Outputs["output"], o);
        c.Forward("weights", f.Outputs["weights"], w);
        (o.Mul(f.Gouts["output"]).Sum() + w.Mul(f.Gouts["weights"]).Sum()).Backward();
        foreach (var (name, p) in m.NamedParameters()) c.Grad("grad " + name, f.GradParams[name], p.Grad);
        foreach (var (name, t) in new[] { ("query", q), ("key", k), ("value", v) }) c.Grad("grad " + name, f.GradInputs[name], t.Grad);
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    [Fact]
    public void AlibiBiasAsAFloatMaskMatchesTheFormula()
    {
        var f = ModuleFixture.Load("positional", "alibi_attention_h6_l64");
        var bias = new Alibi(6).Forward(64, 64, causal: true);   // (H, L, S), −∞ above the diagonal
        var c = new Comparison(f.Id);
        foreach (var backend in new[] { AttentionBackend.Fused, AttentionBackend.Composed })
        {
            var (q, k, v) = (f.Inputs["query"].Detach().RequiresGrad_(), f.Inputs["key"].Detach().RequiresGrad_(), f.Inputs["value"].Detach().RequiresGrad_());
            var o = F.ScaledDotProductAttention(q, k, v, bias, backend: backend);
            c.Forward($"[{backend}] output", f.Outputs["output"], o);
            o.Backward(f.Gouts["output"]);
            foreach (var (name, t) in new[] { ("query", q), ("key", k), ("value", v) }) c.Grad($"[{backend}] grad {name}", f.GradInputs[name], t.Grad);
        }
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    [Fact]
    public void AdditiveAttentionZeroesFullyMaskedRowsAndTheirGradients()
    {
        var m = new AdditiveAttention(4, 3, 8, generator: new Generator(1));
        var g = new Generator(2);
        var q = Tensor.Randn([2, 3, 4], g).RequiresGrad_();
        var k = Tensor.Randn([2, 5, 3], g).RequiresGrad_();
        var v = Tensor.Randn([2, 5, 6], g).RequiresGrad_();
        var allowed = Tensor.Ones([2, 3, 5], DType.Bool).MaskedFill(Tensor.FromArray(new[] { false, true, false }, 1, 3, 1), 0);   // query 1 sees nothing
        var (o, w) = m.Forward(q, k, v, allowed);
        Assert.All(o.Select(1, 1).ToArray(), x => Assert.Equal(0f, x));
        Assert.All(w.Select(1, 1).ToArray(), x => Assert.Equal(0f, x));
        o.Sum().Backward();
        Assert.All(q.Grad!.Select(1, 1).ToArray(), x => Assert.Equal(0f, x));
        Assert.All(m.Parameters(), p => Assert.All(p.Grad!.ToArray(), x => Assert.True(float.IsFinite(x))));
        Assert.Equal(["query_proj.weight", "key_proj.weight", "score_proj.weight"], m.StateDict().Keys);
    }

    [Fact]
    public void AdditiveAttentionGradientsMatchFiniteDifferences()
    {
        var g = new Generator(3);
        var mask = Tensor.Rand([2, 3, 4], g).Lt(0.7).MaskedFill(Tensor.FromArray(new[] { true, false, false, false }, 4), 1);
        GradCheck.Check(t => F.AdditiveAttention(t[0], t[1], t[2], t[3], t[4], t[5], mask).Output,
            [Tensor.Randn([2, 3, 4], g), Tensor.Randn([2, 4, 3], g), Tensor.Randn([2, 4, 2], g),
             Tensor.Randn([5, 4], g), Tensor.Randn([5, 3], g), Tensor.Randn([1, 5], g)]);
    }

    [Fact]
    public void DotProductAttentionIsUnscaledSdpaAndHonoursDropoutMode()
    {
        var g = new Generator(4);
        var (q, k, v) = (Tensor.Randn([2, 2, 5, 8], g), Tensor.Randn([2, 2, 7, 8], g), Tensor.Randn([2, 2, 7, 8], g));
        var m = new DotProductAttention(dropout: 0.5, generator: new Generator(5));
        m.Eval();
        var (o, w) = m.Forward(q, k, v);
        var expected = q.MatMul(k.Transpose(-2, -1)).Softmax(-1);
        Assert.Equal(expected.ToArray().Select(x => MathF.Round(x, 5)), w!.ToArray().Select(x => MathF.Round(x, 5)));
        var (fused, none) = m.Forward(q, k, v, needWeights: false);
        Assert.Null(none);
        Assert.True(o.Sub(fused).Abs().Max().Item() < 1e-5);
        m.Train();
        Assert.True(m.Forward(q, k, v, needWeights: false).Output.Sub(fused).Abs().Max().Item() > 1e-3);
    }
}
