using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Models;

public class MaskedLanguageModelTests
{
    const int Vocab = 40, Pad = 0, MaskId = 4;

    static MaskedLanguageModel Model(ulong seed = 5)
    {
        var model = new MaskedLanguageModel(EncoderConfig.Tiny(Vocab) with { DModel = 16, NumHeads = 2, NumLayers = 1, DimFeedforward = 24, Dropout = 0, MaxLen = 16 },
                                            new Generator(seed));
        model.Eval();
        return model;
    }

    /// <summary>Three rows (one padded), masked by BERT's rule with 40 % chosen so that every row has targets.</summary>
    static (Tensor Inputs, Tensor Labels) Batch()
    {
        long[][] rows = [[1, 7, 9, 12, 30, 5, 8, 2], [1, 22, 23, 24, 2], [1, 39, 6, 6, 17, 11, 2]];
        var ids = ModelTestUtil.Padded(Pad, rows);
        var (inputs, labels) = new MlmMasking(Vocab, MaskId, [0, 1, 2, 3]) { MlmProbability = 0.4 }.Mask(ids.ToInt64Array(), new Generator(9));
        return (Tensor.FromArray(inputs, ids.Shape.ToArray()), Tensor.FromArray(labels, ids.Shape.ToArray()));
    }

    [Fact]
    public void The_loss_is_the_mean_cross_entropy_over_the_chosen_positions_only()
    {
        var model = Model();
        var (inputs, labels) = Batch();
        var target = labels.ToInt64Array();
        Assert.InRange(target.Count(l => l != MlmMasking.IgnoreIndex), 3, target.Length / 2);
        double loss;
        double[] logits;
        using (GradMode.NoGrad())
        {
            loss = model.Loss(inputs, labels).ItemDouble();
            logits = model.Forward(inputs).To(DType.Float64).ToDoubleArray();   // (B, T, V), every position
        }
        // By hand, in double: −log softmax(logits)[label] averaged over the positions with a label.
        double sum = 0;
        int count = 0;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == MlmMasking.IgnoreIndex) continue;
            var row = logits.AsSpan(i * Vocab, Vocab);
            double max = double.NegativeInfinity, z = 0;
            foreach (var v in row) max = Math.Max(max, v);
            foreach (var v in row) z += Math.Exp(v - max);
            sum += max + Math.Log(z) - row[(int)target[i]];
            count++;
        }
        Assert.Equal(sum / count, loss, 5);
        // With no position chosen there is nothing to predict: loss 0 (torch's mean over no targets would be NaN).
        var allIgnored = Tensor.FromArray(Enumerable.Repeat(MlmMasking.IgnoreIndex, target.Length).ToArray(), labels.Shape.ToArray());
        using (GradMode.NoGrad()) Assert.Equal(0.0, model.Loss(inputs, allIgnored).ItemDouble());
    }

    [Fact]
    public void The_decoder_is_the_token_embedding_and_its_gradient_matches_finite_differences()
    {
        var model = Model();
        Assert.Same(model.Backbone.TokenEmbedding.Weight, model.LmHead.Decoder.Weight);
        var names = model.StateDict().Keys.ToArray();
        Assert.Contains("lm_head.decoder.weight", names);
        Assert.Contains("backbone.token_embedding.weight", names);
        Assert.Equal(names.Length - 1, model.NamedParameters().Count());   // the tied tensor is one parameter
        var (inputs, labels) = Batch();
        model.Loss(inputs, labels).Backward();
        var target = labels.ToInt64Array();
        long inputToken = inputs.ToInt64Array()[1], labelToken = target.First(l => l != MlmMasking.IgnoreIndex);
        // Entries of the tied embedding (a token fed in, a token predicted, one neither), the decoder bias, the transform.
        var checks = new List<(Tensor P, int Index)>
        {
            (model.Backbone.TokenEmbedding.Weight, (int)inputToken * 16 + 3), (model.Backbone.TokenEmbedding.Weight, (int)labelToken * 16 + 5),
            (model.Backbone.TokenEmbedding.Weight, 35 * 16 + 7), (model.LmHead.Decoder.Bias!, (int)labelToken), (model.LmHead.Decoder.Bias!, 33),
            (model.LmHead.Dense.Weight, 17), (model.LmHead.LayerNorm.Weight!, 2),
        };
        foreach (var (p, index) in checks)
        {
            double analytic = p.Grad!.ToArray()[index];
            double numeric = FiniteDifference(model, p, index, inputs, labels, 1e-2);
            Assert.True(Math.Abs(analytic - numeric) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"entry {index} of a ({string.Join("×", p.Shape.ToArray())}) parameter: analytic {analytic}, numeric {numeric}");
        }
    }

    /// <summary>Central difference of the loss in one parameter entry (float32 weights, step <paramref name="h"/>).</summary>
    static double FiniteDifference(MaskedLanguageModel model, Tensor p, int index, Tensor inputs, Tensor labels, double h)
    {
        var values = p.ToArray();
        float saved = values[index];
        double At(double x)
        {
            values[index] = (float)x;
            p.Detach().CopyFrom_(Tensor.FromArray(values, p.Shape.ToArray()));
            using var _ = GradMode.NoGrad();
            return model.Loss(inputs, labels).ItemDouble();
        }
        double d = (At(saved + h) - At(saved - h)) / (2 * h);
        At(saved);
        return d;
    }

    [Fact]
    public void Training_lowers_the_masked_loss()
    {
        var model = Model();
        model.Train();
        var (inputs, labels) = Batch();
        var (first, last) = ModelTestUtil.Train(model, () => model.Loss(inputs, labels), steps: 40, lr: 1e-2);
        Assert.True(last < first / 4, $"loss {first} → {last}");
    }
}
