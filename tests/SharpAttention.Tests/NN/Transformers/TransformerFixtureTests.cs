using SharpAttention.NN;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;
using Xunit.Abstractions;

namespace SharpAttention.Tests.NN.Transformers;

/// <summary>torch's own nn.TransformerEncoder and nn.Transformer (fixtures/modules/transformer.safetensors, written by
/// tests/conformance/transformer_fixtures.py): weights loaded strictly by their PyTorch names, forward output and the
/// gradient of every parameter and input of sum(output ⊙ gout).</summary>
public class TransformerFixtureTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> EncoderCases() => ModuleFixture.Cases("transformer", "encoder_");
    public static IEnumerable<object[]> TransformerCases() => ModuleFixture.Cases("transformer", "transformer_");

    static Activation ActivationOf(ModuleFixture f) => f.Init.GetProperty("activation").GetString() switch
    {
        "relu" => Activation.Relu,
        "gelu" => Activation.Gelu,
        var a => throw new InvalidDataException($"activation {a}"),
    };

    internal static TransformerEncoder BuildEncoder(ModuleFixture f)
    {
        var i = f.Init;
        int d = ModuleFixture.Int(i, "d_model")!.Value;
        var layer = new TransformerEncoderLayer(d, ModuleFixture.Int(i, "nhead")!.Value, ModuleFixture.Int(i, "dim_feedforward")!.Value,
            ModuleFixture.Double(i, "dropout")!.Value, ActivationOf(f), ModuleFixture.Double(i, "layer_norm_eps")!.Value,
            ModuleFixture.Bool(i, "batch_first"), ModuleFixture.Bool(i, "norm_first"));
        var m = new TransformerEncoder(layer, ModuleFixture.Int(i, "num_layers")!.Value, ModuleFixture.Bool(i, "final_norm") ? new LayerNorm(d) : null);
        m.LoadStateDict(f.Params);   // strict: every key is torch's
        return m;
    }

    internal static Transformer BuildTransformer(ModuleFixture f)
    {
        var i = f.Init;
        var m = new Transformer(ModuleFixture.Int(i, "d_model")!.Value, ModuleFixture.Int(i, "nhead")!.Value,
            ModuleFixture.Int(i, "num_encoder_layers")!.Value, ModuleFixture.Int(i, "num_decoder_layers")!.Value,
            ModuleFixture.Int(i, "dim_feedforward")!.Value, ModuleFixture.Double(i, "dropout")!.Value, ActivationOf(f),
            layerNormEps: ModuleFixture.Double(i, "layer_norm_eps")!.Value, batchFirst: ModuleFixture.Bool(i, "batch_first"),
            normFirst: ModuleFixture.Bool(i, "norm_first"));
        m.LoadStateDict(f.Params);
        return m;
    }

    /// <summary>As torch runs it; a causal case also with isCausal given beside the mask, and with isCausal alone.</summary>
    [Theory]
    [MemberData(nameof(EncoderCases))]
    public void EncoderMatchesTorch(string id)
    {
        var f = ModuleFixture.Load("transformer", id);
        var c = new Comparison(id);
        bool causal = ModuleFixture.Bool(f.Forward, "is_causal");
        CheckEncoder(f, c, "", f.Input("src_mask"), false);
        if (causal)
        {
            CheckEncoder(f, c, "[mask + isCausal] ", f.Input("src_mask"), true);
            CheckEncoder(f, c, "[isCausal, no mask] ", null, true);
        }
        output.WriteLine($"{id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    static void CheckEncoder(ModuleFixture f, Comparison c, string tag, Tensor? mask, bool isCausal)
    {
        var m = BuildEncoder(f);
        var src = f.Inputs["src"].Detach().RequiresGrad_();
        var y = m.Forward(src, mask, f.Input("src_key_padding_mask"), isCausal);
        c.Forward(tag + "output", f.Outputs["output"], y);
        y.Mul(f.Gouts["output"]).Sum().Backward();
        CheckGrads(f, c, tag, m);
        c.Grad(tag + "grad src", f.GradInputs["src"], src.Grad);
    }

    [Theory]
    [MemberData(nameof(TransformerCases))]
    public void TransformerMatchesTorch(string id)
    {
        var f = ModuleFixture.Load("transformer", id);
        var c = new Comparison(id);
        CheckTransformer(f, c, "", f.Input("tgt_mask"), false);
        if (ModuleFixture.Bool(f.Forward, "tgt_is_causal"))
        {
            CheckTransformer(f, c, "[mask + tgtIsCausal] ", f.Input("tgt_mask"), true);
            CheckTransformer(f, c, "[tgtIsCausal, no mask] ", null, true);
        }
        output.WriteLine($"{id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    static void CheckTransformer(ModuleFixture f, Comparison c, string tag, Tensor? tgtMask, bool tgtIsCausal)
    {
        var m = BuildTransformer(f);
        var src = f.Inputs["src"].Detach().RequiresGrad_();
        var tgt = f.Inputs["tgt"].Detach().RequiresGrad_();
        var y = m.Forward(src, tgt, f.Input("src_mask"), tgtMask, f.Input("memory_mask"), f.Input("src_key_padding_mask"),
            f.Input("tgt_key_padding_mask"), f.Input("memory_key_padding_mask"), tgtIsCausal: tgtIsCausal);
        c.Forward(tag + "output", f.Outputs["output"], y);
        y.Mul(f.Gouts["output"]).Sum().Backward();
        CheckGrads(f, c, tag, m);
        c.Grad(tag + "grad src", f.GradInputs["src"], src.Grad);
        c.Grad(tag + "grad tgt", f.GradInputs["tgt"], tgt.Grad);
    }

    /// <summary>The state_dict keys in torch's order; every parameter the module has must have a torch gradient, and
    /// every torch gradient a parameter.</summary>
    static void CheckGrads(ModuleFixture f, Comparison c, string tag, Module m)
    {
        Assert.Equal(f.Meta.GetProperty("state_dict_keys").EnumerateArray().Select(k => k.GetString()), m.StateDict().Keys);
        var names = m.NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.Equal(f.GradParams.Keys.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        foreach (var (name, p) in m.NamedParameters()) c.Grad(tag + "grad " + name, f.GradParams[name], p.Grad);
    }
}
