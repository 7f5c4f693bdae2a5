using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using Xunit.Abstractions;

namespace SharpAttention.Tests.NN;

/// <summary>MultiheadAttention against torch's nn.MultiheadAttention (fixtures/modules/mha.safetensors) and against the
/// explicit grouped-query formula (attention.safetensors, gqa_/mqa_ cases): forward, weights and every gradient.</summary>
public class MultiheadAttentionTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> TorchCases() => ModuleFixture.Cases("mha").Where(c => (string)c[0] != "fully_masked_row_nan");
    public static IEnumerable<object[]> GqaCases() => ModuleFixture.Cases("attention", "gqa_").Concat(ModuleFixture.Cases("attention", "mqa_"));

    [Theory]
    [MemberData(nameof(TorchCases))]
    public void MatchesTorchMultiheadAttention(string id) => CheckAllVariants("mha", id);

    [Theory]
    [MemberData(nameof(GqaCases))]
    public void GroupedQueryAttentionMatchesTheFormula(string id) => CheckAllVariants("attention", id);

    /// <summary>As torch runs it; for causal cases also with isCausal and no mask; with weights also without them
    /// (forward only: the fixture's gradients include the weights' upstream gradient).</summary>
    void CheckAllVariants(string group, string id)
    {
        var f = ModuleFixture.Load(group, id);
        bool causal = ModuleFixture.Bool(f.Forward, "is_causal"), needWeights = ModuleFixture.Bool(f.Forward, "need_weights");
        var c = new Comparison(id);
        Check(f, c, "", dropMask: false, isCausal: causal, needWeights);
        if (causal) Check(f, c, "[isCausal, no mask] ", dropMask: true, isCausal: true, needWeights);
        if (needWeights) Check(f, c, "[fused, no weights] ", dropMask: false, isCausal: causal, needWeights: false);
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    internal static MultiheadAttention Build(ModuleFixture f)
    {
        var init = f.Init;
        var m = new MultiheadAttention(ModuleFixture.Int(init, "embed_dim")!.Value, ModuleFixture.Int(init, "num_heads")!.Value,
            bias: ModuleFixture.Bool(init, "bias"), kdim: ModuleFixture.Int(init, "kdim"), vdim: ModuleFixture.Int(init, "vdim"),
            batchFirst: ModuleFixture.Bool(init, "batch_first"), numKvHeads: ModuleFixture.Int(init, "num_kv_heads"));
        m.LoadStateDict(f.Params);   // strict: the parameter names and shapes are torch's
        return m;
    }

    static void Check(ModuleFixture f, Comparison c, string tag, bool dropMask, bool isCausal, bool needWeights)
    {
        var m = Build(f);
        bool self = ModuleFixture.Bool(f.Forward, "self_attention"), average = ModuleFixture.Bool(f.Forward, "average_attn_weights");
        var q = f.Inputs["query"].Detach().RequiresGrad_();
        var k = self ? q : f.Inputs["key"].Detach().RequiresGrad_();
        var v = self ? q : f.Inputs["value"].Detach().RequiresGrad_();
        var (o, w) = m.Forward(q, k, v, f.Input("key_padding_mask"), needWeights, dropMask ? null : f.Input("attn_mask"), average, isCausal);
        c.Forward(tag + "output", f.Outputs["output"], o);
        if (needWeights) c.Forward(tag + "weights", f.Outputs["weights"], w);
        else Assert.Null(w);
        if (needWeights != ModuleFixture.Bool(f.Forward, "need_weights")) return;

        var loss = o.Mul(f.Gouts["output"]).Sum();
        if (w is not null) loss = loss + w.Mul(f.Gouts["weights"]).Sum();
        loss.Backward();
        foreach (var (name, p) in m.NamedParameters()) c.Grad(tag + "grad " + name, f.GradParams[name], p.Grad);
        c.Grad(tag + "grad query", f.GradInputs["query"], q.Grad);
        if (!self)
        {
            c.Grad(tag + "grad key", f.GradInputs["key"], k.Grad);
            c.Grad(tag + "grad value", f.GradInputs["value"], v.Grad);
        }
    }

    [Fact]
    public void FullyMaskedRowsGiveZerosWhereTorchGivesNaN()
    {
        var f = ModuleFixture.Load("mha", "fully_masked_row_nan");
        var m = Build(f);
        var q = f.Inputs["query"].Detach().RequiresGrad_();   // (L, B, E); batch row 1 has only padding keys
        var (o, w) = m.Forward(q, q, q, f.Input("key_padding_mask"));
        var expected = f.Outputs["output"];
        Assert.Contains(expected.ToArray(), float.IsNaN);
        var c = new Comparison("fully_masked_row_nan");
        c.Forward("row 0", expected.Select(1, 0), o.Select(1, 0));
        c.Forward("row 0 weights", f.Outputs["weights"].Select(0, 0), w!.Select(0, 0));
        // Attention gives 0 for the masked row, so the output is out_proj's bias there.
        c.Forward("row 1", m.OutProj.Bias!.Expand(q.Size(0), q.Size(2)), o.Select(1, 1), rtol: 0, atol: 0);
        c.Forward("row 1 weights", Tensor.Zeros(q.Size(0), q.Size(0)), w.Select(0, 1), rtol: 0, atol: 0);
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}");
        c.AssertOk();
        o.Sum().Backward();
        Assert.All(q.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
        Assert.All(m.Parameters(), p => Assert.All(p.Grad!.ToArray(), g => Assert.True(float.IsFinite(g))));
    }

    [Fact]
    public void StateDictKeysAreTorchs()
    {
        Assert.Equal(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], new MultiheadAttention(16, 2).StateDict().Keys);
        Assert.Equal(["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"],
                     new MultiheadAttention(16, 2, kdim: 12, vdim: 20).StateDict().Keys);
        Assert.Equal(["in_proj_weight", "out_proj.weight"], new MultiheadAttention(16, 2, bias: false).StateDict().Keys);
        var gqa = new MultiheadAttention(32, 4, numKvHeads: 2);
        var sd = gqa.StateDict();
        Assert.Equal(new[] { 16, 32 }, sd["k_proj_weight"].Shape.ToArray());   // Hkv·D = 2·8 rows
        Assert.Equal(new[] { 32 + 2 * 16 }, sd["in_proj_bias"].Shape.ToArray());
    }

    [Fact]
    public void InitialisesAsTorch()
    {
        var m = new MultiheadAttention(64, 4, generator: new Generator(1));
        double bound = Math.Sqrt(6.0 / (64 + 192));   // xavier over the whole (3E, E) matrix
        var w = m.InProjWeight!.ToArray();
        Assert.All(w, x => Assert.InRange(x, -bound, bound));
        Assert.True(w.Max() > 0.9 * bound);
        Assert.All(m.InProjBias!.ToArray(), x => Assert.Equal(0f, x));
        Assert.All(m.OutProj.Bias!.ToArray(), x => Assert.Equal(0f, x));
        Assert.All(m.OutProj.Weight.ToArray(), x => Assert.InRange(x, -1 / 8.0, 1 / 8.0));
    }

    /// <summary>4 heads of size 4, random in_proj biases, and an input (B 3, T 6, E 16).</summary>
    static (Tensor X, MultiheadAttention M) Small(bool batchFirst = true, double dropout = 0)
    {
        var m = new MultiheadAttention(16, 4, dropout, batchFirst: batchFirst, generator: new Generator(3));
        using (SharpAttention.Autograd.GradMode.NoGrad()) Init.Normal_(m.InProjBias!, 0, 0.5, new Generator(4));
        return (Tensor.Randn([3, 6, 16], new Generator(5)), m);
    }

    [Fact]
    public void SuffixPaddingAsKeyLengthsEqualsTheSameMaskGivenAsFloat()
    {
        var (x, m) = Small();
        var pad = Tensor.FromArray(new[] { false, false, false, false, false, false, false, false, false, true, true, true,
                                           false, false, false, false, false, true }, 3, 6);
        var (a, wa) = m.Forward(x, x, x, pad);                                             // bool suffix → key lengths
        var asFloat = Tensor.Zeros(3, 6).MaskedFill(pad, double.NegativeInfinity);
        var (b, wb) = m.Forward(x, x, x, asFloat);                                         // float → additive mask
        var (c, _) = m.Forward(x, x, x, pad, needWeights: false);                          // fused path
        AssertClose(a, b);
        AssertClose(wa!, wb!);
        AssertClose(a, c);
    }

    [Fact]
    public void CausalFlagRecognisesTorchsCausalMaskAndOtherwiseAppliesBoth()
    {
        var (x, m) = Small();
        var above = Tensor.Arange(6, DType.Int64).View(1, 6).Gt(Tensor.Arange(6, DType.Int64).View(6, 1));   // torch's causal bool mask
        var (a, wa) = m.Forward(x, x, x, attnMask: above, isCausal: true);
        var (b, wb) = m.Forward(x, x, x, isCausal: true);
        var (c, wc) = m.Forward(x, x, x, attnMask: above);
        AssertClose(a, b);
        AssertClose(b, c);
        AssertClose(wa!, wb!);
        AssertClose(wb!, wc!);
        Assert.Equal(0f, wb!.Select(0, 1).Select(0, 0).Select(0, 5).Item());   // query 0 never sees key 5

        var random = Tensor.Rand([6, 6], new Generator(7)).Lt(0.3).MaskedFill(Tensor.Arange(6, DType.Int64).Eq(0), 0);   // key 0 always allowed
        var (d, _) = m.Forward(x, x, x, attnMask: random, isCausal: true);
        var (e, _) = m.Forward(x, x, x, attnMask: random.LogicalOr(above));
        AssertClose(d, e);
    }

    [Fact]
    public void UnbatchedEqualsABatchOfOne()
    {
        var (x, m) = Small();
        var one = x.Narrow(0, 0, 1);
        var (a, wa) = m.Forward(one, one, one);
        var (b, wb) = m.Forward(one.Squeeze(0), one.Squeeze(0), one.Squeeze(0));
        AssertClose(a.Squeeze(0), b);
        AssertClose(wa!.Squeeze(0), wb!);
    }

    [Fact]
    public void SequenceFirstEqualsBatchFirst()
    {
        var (x, m) = Small(batchFirst: true);
        var seqFirst = new MultiheadAttention(16, 4, batchFirst: false);
        seqFirst.LoadStateDict(m.StateDict());
        var (a, wa) = m.Forward(x, x, x, averageAttnWeights: false);
        var xt = x.Transpose(0, 1);
        var (b, wb) = seqFirst.Forward(xt, xt, xt, averageAttnWeights: false);
        Assert.True(b.IsContiguous);   // (L, B, E) laid out as torch's
        AssertClose(a, b.Transpose(0, 1));
        AssertClose(wa!, wb!);
        Assert.Equal(new[] { 3, 4, 6, 6 }, wa!.Shape.ToArray());
    }

    [Fact]
    public void DropoutActsOnlyInTraining()
    {
        var (x, m) = Small(dropout: 0.5);
        var (train, _) = m.Forward(x, x, x, needWeights: false);
        m.Eval();
        var (eval1, _) = m.Forward(x, x, x, needWeights: false);
        var noDropout = new MultiheadAttention(16, 4, batchFirst: true);
        noDropout.LoadStateDict(m.StateDict());
        var (reference, _) = noDropout.Forward(x, x, x, needWeights: false);
        AssertClose(eval1, reference);
        Assert.True(train.Sub(reference).Abs().Max().Item() > 1e-3);
    }

    [Fact]
    public void MaskShapesAreChecked()
    {
        var (x, m) = Small();
        var e = Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, attnMask: Tensor.Zeros(5, 6)));
        Assert.Contains("(6, 6)", e.Message);
        Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, attnMask: Tensor.Zeros(4, 6, 6)));   // needs B·H = 12
        Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, keyPaddingMask: Tensor.Zeros([3, 5], DType.Bool)));
        Assert.Throws<ArgumentException>(() => m.Forward(x, x, x, keyPaddingMask: Tensor.Zeros([3, 6], DType.Int64)));
        Assert.Throws<ArgumentException>(() => new MultiheadAttention(10, 4));
        Assert.Throws<ArgumentException>(() => new MultiheadAttention(16, 4, numKvHeads: 3));
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesInDoublePrecision()
    {
        // Grouped-query heads, separate projections, a non-suffix padding mask and a float mask, per-head weights.
        var m = new MultiheadAttention(8, 4, batchFirst: true, numKvHeads: 2, dtype: DType.Float64, generator: new Generator(3));
        using (SharpAttention.Autograd.GradMode.NoGrad()) Init.Normal_(m.InProjBias!, 0, 0.5, new Generator(4));
        var x = Tensor.Randn([2, 3, 8], new Generator(5), DType.Float64);
        var kv = Tensor.Randn([2, 4, 8], new Generator(8), DType.Float64);
        var pad = Tensor.FromArray(new[] { false, true, false, false, false, false, false, true }, 2, 4);
        var mask = Tensor.Randn([3, 4], new Generator(9), DType.Float64);
        var p = m.Parameters().ToArray();   // q, k, v projections, in_proj_bias, out_proj weight and bias
        GradCheck.Check(t =>
        {
            var (o, w) = F.MultiHeadAttentionForward(t[0], t[1], t[1], 4, null, t[5], t[6], t[7], pad, true, mask, averageAttnWeights: false,
                qProjWeight: t[2], kProjWeight: t[3], vProjWeight: t[4], batchFirst: true);
            return Tensor.Cat([o.Flatten(), w!.Flatten()]);
        }, [x, kv, .. p], atol: 1e-6, rtol: 1e-5);
    }

    static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}] {a[i]} vs {e[i]}");
    }
}
