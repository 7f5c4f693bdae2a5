using SharpAttention.NN;
using SharpAttention.NN.Positional;
using SharpAttention.Tensors;
using Xunit.Abstractions;

namespace SharpAttention.Tests.NN;

/// <summary>Positional encodings against the PyTorch fixtures in fixtures/modules/positional.safetensors and their
/// own properties.</summary>
public class PositionalTests(ITestOutputHelper output)
{
    const string Group = "positional";

    public static IEnumerable<object[]> RopeCases() => ModuleFixture.Cases(Group, "rope_");
    public static IEnumerable<object[]> AlibiBiasCases() => ModuleFixture.Ids(Group, "alibi_h").Select(id => new object[] { id });
    public static IEnumerable<object[]> SinusoidalCases() => ModuleFixture.Cases(Group, "sinusoidal_");

    [Theory]
    [MemberData(nameof(RopeCases))]
    public void RotaryMatchesTheHuggingFaceFormula(string id)
    {
        var f = ModuleFixture.Load(Group, id);
        var rope = new RotaryEmbedding(ModuleFixture.Int(f.Init, "dim")!.Value, ModuleFixture.Double(f.Init, "base")!.Value);
        var q = f.Inputs["query"].Detach().RequiresGrad_();
        var k = f.Inputs["key"].Detach().RequiresGrad_();
        var (qr, kr) = rope.Forward(q, k, ModuleFixture.Int(f.Forward, "offset")!.Value);
        (qr.Mul(f.Gouts["query"]).Sum() + kr.Mul(f.Gouts["key"]).Sum()).Backward();

        var c = new Comparison(id);
        c.Forward("query", f.Outputs["query"], qr);
        c.Forward("key", f.Outputs["key"], kr);
        c.Grad("grad query", f.GradInputs["query"], q.Grad);
        c.Grad("grad key", f.GradInputs["key"], k.Grad);
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    [Theory]
    [MemberData(nameof(AlibiBiasCases))]
    public void AlibiBiasMatchesThePaperCode(string id)
    {
        var f = ModuleFixture.Load(Group, id);
        var alibi = new Alibi(ModuleFixture.Int(f.Init, "num_heads")!.Value);
        var bias = alibi.Forward(ModuleFixture.Int(f.Forward, "query_length")!.Value, ModuleFixture.Int(f.Forward, "key_length")!.Value,
                                 causal: ModuleFixture.Bool(f.Forward, "causal"));
        var c = new Comparison(id);
        c.Forward("bias", f.Outputs["bias"], bias, rtol: 0, atol: 0);   // one float multiply each: exact
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    [Theory]
    [MemberData(nameof(SinusoidalCases))]
    public void SinusoidalTableMatchesTheTutorial(string id)
    {
        var f = ModuleFixture.Load(Group, id);
        int d = ModuleFixture.Int(f.Init, "d_model")!.Value, maxLen = ModuleFixture.Int(f.Init, "max_len")!.Value;
        int start = ModuleFixture.Int(f.Forward, "start")!.Value;
        var expected = f.Outputs["pe"];
        // torch's vectorised float exp is within 1 ulp of the exact value, not always the correctly rounded one that
        // SharpAttention computes, so a div term may differ by 1 ulp (relative 2⁻²³); the float32 angle p·div then
        // differs by up to p·2⁻²³ plus half an ulp of rounding, which sin/cos pass on. Allow that much at position p.
        double atol = Comparison.ForwardAtol + 1.8e-7 * (start + expected.Size(0) - 1);
        var c = new Comparison(id);
        c.Forward("table", expected, F.SinusoidalPositionalEncoding(expected.Size(0), d, start), atol: atol);
        var module = new SinusoidalPositionalEncoding(d, dropout: 0, maxLen: maxLen);
        c.Forward("buffer pe", expected, module.Pe.Narrow(0, start, expected.Size(0)).Squeeze(1), atol: atol);
        output.WriteLine($"{c.Id}: forward {c.ForwardError:E2}, gradient {c.GradError:E2}");
        c.AssertOk();
    }

    [Fact]
    public void AlibiSlopesFollowThePaper()
    {
        Assert.Equal(Enumerable.Range(1, 8).Select(i => Math.Pow(2, -i)), F.AlibiSlopes(8));
        // 6 heads: the 4-head slopes 2^-2, 2^-4, 2^-6, 2^-8, then every other 8-head slope: 2^-1, 2^-3.
        Assert.Equal(new[] { -2, -4, -6, -8, -1, -3 }.Select(e => Math.Pow(2, e)), F.AlibiSlopes(6));
        Assert.Equal([Math.Pow(2, -8)], F.AlibiSlopes(1));
        Assert.Equal(12, F.AlibiSlopes(12).Distinct().Count());
    }

    [Fact]
    public void AlibiDefaultsToQueriesAtTheEndAndSupportsSymmetricBias()
    {
        var alibi = new Alibi(2);
        var step = alibi.Forward(1, 4).ToArray();                  // one decoding step at position 3
        Assert.Equal(new float[] { -3f / 16, -2f / 16, -1f / 16, 0f }, step[..4]);   // 2 heads: slopes 2^-4, 2^-8
        var sym = alibi.Forward(3, 3, symmetric: true).ToArray();
        Assert.Equal(sym[1], sym[3]);   // |0 − 1| = |1 − 0|
        Assert.Empty(alibi.StateDict());
    }

    [Fact]
    public void RotaryPreservesNormsAndMakesScoresRelative()
    {
        var rope = new RotaryEmbedding(8);
        var g = new Generator(1);
        var q = Tensor.Randn([1, 1, 1, 8], g);
        var k = Tensor.Randn([1, 1, 1, 8], g);
        double Score(int pq, int pk) => rope.Apply(q, pq).Mul(rope.Apply(k, pk)).Sum().ItemDouble();
        Assert.Equal(Score(3, 1), Score(10, 8), 4);
        Assert.Equal(q.Pow(2).Sum().ItemDouble(), rope.Apply(q, 5).Pow(2).Sum().ItemDouble(), 4);
        Assert.Equal(q.ToArray(), rope.Apply(q, 0).ToArray());   // position 0 is the identity
        Assert.Empty(rope.StateDict());                          // inv_freq is not persistent
    }

    [Fact]
    public void RotaryByPositionTensorEqualsOffsets()
    {
        var rope = new RotaryEmbedding(8);
        var x = Tensor.Randn([2, 3, 4, 8], new Generator(2));
        var positions = Tensor.FromArray(new long[] { 0, 1, 2, 3, 5, 6, 7, 8 }, 2, 4);   // row 1 starts at 5
        var byTensor = rope.Apply(x, positions);
        Assert.Equal(rope.Apply(x.Narrow(0, 0, 1), 0).ToArray(), byTensor.Narrow(0, 0, 1).ToArray());
        Assert.Equal(rope.Apply(x.Narrow(0, 1, 1), 5).ToArray(), byTensor.Narrow(0, 1, 1).ToArray());
        Assert.Equal(rope.Apply(x, 2).ToArray(), rope.Apply(x, Tensor.FromArray(new long[] { 2, 3, 4, 5 }, 4)).ToArray());
    }

    [Fact]
    public void SinusoidalModuleAddsTheTableInBothLayouts()
    {
        var seqFirst = new SinusoidalPositionalEncoding(8, dropout: 0, maxLen: 20);
        var batchFirst = new SinusoidalPositionalEncoding(8, dropout: 0, maxLen: 20, batchFirst: true);
        Assert.Equal(new[] { 20, 1, 8 }, seqFirst.Pe.Shape.ToArray());
        Assert.Equal(new[] { 1, 20, 8 }, batchFirst.Pe.Shape.ToArray());
        Assert.Equal(["pe"], seqFirst.StateDict().Keys);
        var x = Tensor.Zeros(5, 2, 8);
        var table = F.SinusoidalPositionalEncoding(5, 8, offset: 3);
        var y = seqFirst.Forward(x, offset: 3);
        Assert.Equal(table.ToArray(), y.Select(1, 1).ToArray());
        Assert.Equal(table.ToArray(), batchFirst.Forward(x.Transpose(0, 1), offset: 3).Select(0, 0).ToArray());
        Assert.Throws<ArgumentException>(() => seqFirst.Forward(Tensor.Zeros(21, 1, 8)));
    }

    [Fact]
    public void LearnedEmbeddingAddsRowsAndTrainsOnlyThoseUsed()
    {
        var pos = new LearnedPositionalEmbedding(10, 4, batchFirst: true, generator: new Generator(1));
        Assert.Equal(["weight"], pos.StateDict().Keys);
        var x = Tensor.Zeros(2, 3, 4);
        var y = pos.Forward(x, offset: 2);
        Assert.Equal(pos.Weight.Narrow(0, 2, 3).ToArray(), y.Select(0, 1).ToArray());
        y.Sum().Backward();
        var grad = pos.Weight.Grad!.ToArray();
        Assert.All(grad[..8], v => Assert.Equal(0f, v));
        Assert.All(grad[8..20], v => Assert.Equal(2f, v));   // two batch rows
        Assert.All(grad[20..], v => Assert.Equal(0f, v));
    }
}
