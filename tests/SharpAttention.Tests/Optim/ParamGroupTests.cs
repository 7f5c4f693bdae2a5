using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Optim;

public class ParamGroupTests
{
    [Fact]
    public void DecayMatricesOnlyDecaysMatricesAndLeavesVectorsAlone()
    {
        // A zero gradient leaves AdamW only its decoupled decay: p ← p·(1 − lr·wd) where decay applies, p elsewhere.
        var matrix = Tensor.FromArray(new[] { 1.0, -2, 3, 4 }, 2, 2).RequiresGrad_();
        var bias = Tensor.FromArray(new[] { 5.0, -6 }, 2).RequiresGrad_();
        var groups = ParamGroup.DecayMatricesOnly([matrix, bias]);
        var optimizer = new AdamW(groups, lr: 0.1, weightDecay: 0.5);
        matrix.Grad = Tensor.ZerosLike(matrix);
        bias.Grad = Tensor.ZerosLike(bias);
        optimizer.Step();
        Assert.Equal(new[] { 0.95, -1.9, 2.85, 3.8 }, matrix.ToDoubleArray().Select(v => Math.Round(v, 12)));
        Assert.Equal(new[] { 5.0, -6 }, bias.ToDoubleArray());
        Assert.Equal([0.5, 0.0], optimizer.ParamGroups.Select(g => g.WeightDecay));
    }

    [Fact]
    public void AClassifiersVectorsAreTheUndecayedGroup()
    {
        var model = new EncoderClassifier(new EncoderConfig(50) { DModel = 8, NumHeads = 2, NumLayers = 1, DimFeedforward = 16, Pooling = Pooling.Attention }, 2);
        var groups = ParamGroup.DecayMatricesOnly(model.Parameters());
        var undecayed = model.NamedParameters().Where(p => groups[1].Params.Contains(p.Parameter)).Select(p => p.Name).ToHashSet();
        Assert.Contains("pooler.query", undecayed);
        Assert.Contains("head.bias", undecayed);
        Assert.Contains("backbone.encoder.norm.weight", undecayed);
        Assert.DoesNotContain("head.weight", undecayed);
        Assert.DoesNotContain("backbone.token_embedding.weight", undecayed);
        Assert.Equal(model.Parameters().Count(), groups.Sum(g => g.Params.Count));
    }

    [Fact]
    public void AGroupWithNothingInItIsLeftOut() =>
        Assert.Single(ParamGroup.DecayMatricesOnly([Tensor.Zeros(3).RequiresGrad_()]));
}
