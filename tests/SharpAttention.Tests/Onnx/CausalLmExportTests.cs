using Microsoft.ML.OnnxRuntime;
using SharpAttention.Autograd;
using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Onnx;
using SharpAttention.Tensors;
using Tensor = SharpAttention.Tensors.Tensor;

namespace SharpAttention.Tests.Onnx;

/// <summary>CausalLanguageModel exported as a decoder-with-past graph: its logits over a padded batch equal Forward's
/// within 1e-4, and 20 greedy steps through ONNX Runtime with the present → past cache give Greedy.Decode's tokens and
/// log-probabilities; every file passes onnx.checker's full check.</summary>
public sealed class CausalLmExportTests : IDisposable
{
    const int Vocab = 40;
    readonly string dir = Directory.CreateTempSubdirectory("onnx-lm-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public enum Style { Gpt2, Llama, LlamaMha, Sinusoidal }

    static CausalLMConfig Config(Style style) => style switch
    {
        // Learned positions, GELU, LayerNorm, biases, tied output.
        Style.Gpt2 => CausalLMConfig.Tiny(Vocab) with
        {
            Positions = PositionEncoding.Learned, Activation = Activation.Gelu, Norm = NormKind.LayerNorm, Bias = true, DimFeedforward = 128,
        },
        // RoPE, SwiGLU, RMSNorm, grouped-query heads (4 query heads share 2 kv heads), untied output.
        Style.Llama => CausalLMConfig.Tiny(Vocab) with { NumHeads = 4, NumKvHeads = 2, TieWeights = false },
        Style.LlamaMha => CausalLMConfig.Tiny(Vocab),
        _ => CausalLMConfig.Tiny(Vocab) with { Positions = PositionEncoding.Sinusoidal, Activation = Activation.Relu, Norm = NormKind.LayerNorm, DimFeedforward = 128 },
    };

    static CausalLanguageModel Model(Style style)
    {
        var model = new CausalLanguageModel(Config(style), new Generator(5));
        model.Eval();
        return model;
    }

    [Theory]
    [InlineData(Style.Gpt2, false)]
    [InlineData(Style.Llama, false)]
    [InlineData(Style.Sinusoidal, false)]
    [InlineData(Style.Gpt2, true)]
    [InlineData(Style.LlamaMha, true)]
    [InlineData(Style.Llama, true)]
    public void LogitsOverAPaddedBatchMatchForward(Style style, bool fused)
    {
        var model = Model(style);
        var path = Path.Combine(dir, "lm.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { Fused = fused });
        using var session = Ort.Session(path);
        foreach (var (lengths, t) in new (int[], int)[] { ([1], 1), ([37], 37), ([37, 20, 1], 37) })
        {
            var (ids, mask) = Ort.Batch(Vocab, lengths, t, seed: (ulong)t);
            var idsT = Tensor.FromArray(ids, lengths.Length, t);
            Tensor expected;
            using (GradMode.NoGrad()) expected = model.Forward(idsT, idsT.Eq(0));
            var inputs = Inputs(model, ids, mask, Positions(lengths.Length, 0, t), lengths.Length, t, past: null, 0);
            Ort.AssertClose(expected, Ort.Run(session, inputs)["logits"]);
        }
        OnnxChecker.AssertValid(path);
    }

    [Theory]
    [InlineData(Style.Gpt2, false)]
    [InlineData(Style.Llama, false)]
    [InlineData(Style.Sinusoidal, false)]
    [InlineData(Style.LlamaMha, true)]
    public void TwentyCachedStepsGiveGreedyDecodesTokensAndLogProbs(Style style, bool fused)
    {
        var model = Model(style);
        var path = Path.Combine(dir, "lm.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { Fused = fused });
        const int b = 3, prompt = 4, steps = 20;
        long eos = Vocab - 1;
        var (promptIds, _) = Ort.Batch(Vocab, [prompt, prompt, prompt], prompt, seed: 9);
        var expected = Greedy.Decode(model, model.BeginDecoding(b), Tensor.FromArray(promptIds, b, prompt), steps, eos);

        // The same loop through ORT: the prompt with an empty past, then one token per step, present → past.
        using var session = Ort.Session(path);
        var tokens = Enumerable.Range(0, b).Select(_ => new List<long>()).ToArray();
        var scores = new double[b];
        var finished = new bool[b];
        long[] input = promptIds;
        int length = 0, t = prompt;
        Dictionary<string, (float[] Data, int[] Shape)>? past = null;
        for (int step = 0; step < steps; step++)
        {
            var mask = Enumerable.Repeat(1L, b * (length + t)).ToArray();
            var outputs = Ort.Run(session, Inputs(model, input, mask, Positions(b, length, t), b, t, past, length));
            length += t;
            var logits = outputs["logits"];
            var next = new long[b];
            for (int r = 0; r < b; r++)
            {
                var row = logits.Data.AsSpan((r * t + t - 1) * Vocab, Vocab);
                var logp = Ort.LogSoftmax(row);
                int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logp);
                next[r] = best;
                if (finished[r]) continue;
                tokens[r].Add(best);
                scores[r] += logp[best];
                finished[r] = best == eos;
            }
            (input, t, past) = (next, 1, outputs);
        }
        for (int r = 0; r < b; r++)
        {
            Assert.Equal(expected[r].Tokens, tokens[r]);
            Assert.True(Math.Abs(expected[r].Score - scores[r]) <= 1e-4, $"row {r}: Greedy.Decode's log-probability {expected[r].Score}, ORT's {scores[r]}");
        }
    }

    [Fact]
    public void ExportLeavesTheModelInItsMode()
    {
        var model = new CausalLanguageModel(Config(Style.Gpt2), new Generator(1));
        Assert.True(model.Training);
        model.ExportOnnx(Path.Combine(dir, "train-mode.onnx"));
        Assert.True(model.Training);
    }

    [Fact]
    public void AlibiPositionsAreRefusedAndNothingIsWritten()
    {
        var model = new CausalLanguageModel(CausalLMConfig.Tiny(Vocab) with { Positions = PositionEncoding.Alibi }, new Generator(2));
        var path = Path.Combine(dir, "alibi.onnx");
        var e = Assert.Throws<OnnxExportException>(() => model.ExportOnnx(path));
        Assert.Contains("alibi positions", e.Message);
        Assert.False(File.Exists(path));
    }

    static long[] Positions(int b, int start, int t) =>
        Enumerable.Range(0, b).SelectMany(_ => Enumerable.Range(start, t).Select(p => (long)p)).ToArray();

    /// <summary>The graph's inputs: ids, mask and positions, and each layer's cache — the previous run's present
    /// outputs, or empty (length 0) at the first step.</summary>
    internal static List<NamedOnnxValue> Inputs(CausalLanguageModel model, long[] ids, long[] mask, long[] positions, int b, int t,
        Dictionary<string, (float[] Data, int[] Shape)>? past, int pastLength)
    {
        var inputs = new List<NamedOnnxValue>
        {
            Ort.Input("input_ids", ids, b, t),
            Ort.Input("attention_mask", mask, b, pastLength + t),
            Ort.Input("position_ids", positions, b, t),
        };
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var attn = model.Layers[i].SelfAttn;
            foreach (var part in new[] { "key", "value" })
                inputs.Add(past is null
                    ? Ort.Input($"past_key_values.{i}.{part}", Array.Empty<float>(), b, attn.NumKvHeads, 0, attn.HeadDim)
                    : Ort.Input($"past_key_values.{i}.{part}", past[$"present.{i}.{part}"].Data, past[$"present.{i}.{part}"].Shape));
        }
        return inputs;
    }
}
