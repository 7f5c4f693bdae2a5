using System.Text.Json.Nodes;
using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Onnx;
using SharpAttention.Tensors;
using GenAi = Microsoft.ML.OnnxRuntimeGenAI;
using Tensor = SharpAttention.Tensors.Tensor;

namespace SharpAttention.Tests.Onnx;

/// <summary>
/// genai_config.json beside an exported CausalLanguageModel: ONNX Runtime GenAI (another engine, driving the graph
/// with its own cache, mask and position bookkeeping) loads the folder and its greedy search from token ids produces
/// exactly Greedy.Decode's tokens; the config's names, head counts and sizes agree with the graph's inputs and outputs
/// read back from the .onnx file; options out of range are refused in one line naming the field.
/// </summary>
public sealed class GenAiExportTests : IDisposable
{
    const int Vocab = 40, Steps = 20;
    readonly string dir = Directory.CreateTempSubdirectory("onnx-genai-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static CausalLanguageModel Model(CausalLMConfig config, ulong seed)
    {
        var model = new CausalLanguageModel(config, new Generator(seed));
        model.Eval();
        return model;
    }


    // InitStd 0.5 rather than 0.02: an untrained model with near-uniform logits repeats its last token, which would
    // make "same tokens" a weak check; these weights give varied continuations.
    static CausalLMConfig Config(string style) => style switch
    {
        "gpt2" => CausalLMConfig.Tiny(Vocab) with
        {
            Positions = PositionEncoding.Learned, Activation = Activation.Gelu, Norm = NormKind.LayerNorm,
            Bias = true, DimFeedforward = 128, MaxLen = 64, InitStd = 0.5,
        },
        _ => CausalLMConfig.Tiny(Vocab) with { NumHeads = 4, NumKvHeads = 2, NumLayers = 3, TieWeights = false, InitStd = 0.5 },
    };

    string Export(CausalLanguageModel model, GenAiOptions options, bool fused = false)
    {
        var path = Path.Combine(dir, "model.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { Fused = fused });
        GenAiConfig.Write(model, path, options);
        return path;
    }

    /// <summary>GenAI's greedy search from <paramref name="prompt"/>: the token chosen at each step (the end token
    /// included). GenAI's sequence is the prompt and those tokens, except that it leaves a final end token out.</summary>
    static List<int> GenAiGreedy(string folder, int[] prompt, int maxLength, int eos)
    {
        using var model = new GenAi.Model(folder);
        using var parameters = new GenAi.GeneratorParams(model);
        parameters.SetSearchOption("max_length", maxLength);
        using var generator = new GenAi.Generator(model, parameters);
        generator.AppendTokens(prompt);
        var steps = new List<int>();
        while (!generator.IsDone())
        {
            generator.GenerateNextToken();
            steps.Add(generator.GetNextTokens()[0]);
        }
        var kept = steps.Count > 0 && steps[^1] == eos ? steps[..^1] : steps;
        Assert.Equal([.. prompt, .. kept], generator.GetSequence(0).ToArray());
        return steps;
    }

    static IEnumerable<int> OurGreedy(CausalLanguageModel model, int[] prompt, int steps, int eos) =>
        Greedy.Decode(model, model.BeginDecoding(1), Tensor.FromArray(prompt.Select(i => (long)i).ToArray(), 1, prompt.Length), steps, eos)[0]
            .Tokens.Select(t => (int)t);

    [Theory]
    [InlineData("gpt2", false)]
    [InlineData("llama-gqa", false)]
    [InlineData("gpt2", true)]
    public void GenAiGreedyFromTokenIdsEqualsGreedyDecode(string style, bool fused)
    {
        var model = Model(Config(style), seed: 11);
        // Prompts start with the end token, as LanguageModel's do. GenAI masks prompt tokens equal to pad_token_id, so
        // pad is a token of its own here.
        const int eos = Vocab - 1, pad = Vocab - 2;
        Export(model, new GenAiOptions { EosTokenId = eos, PadTokenId = pad }, fused);
        foreach (var prompt in new[] { new[] { eos }, new[] { eos, 5, 17, 9, 30, 12, 7, 22 } })
        {
            var expected = OurGreedy(model, prompt, Steps, eos).ToList();
            Assert.True(expected.Distinct().Count() > 3, $"a degenerate continuation [{string.Join(",", expected)}] would prove little");
            Assert.Equal(expected, GenAiGreedy(dir, prompt, prompt.Length + Steps, eos));
        }
    }

    [Fact]
    public void GenAiStopsAfterTheEndTokenAsGreedyDecodeDoes()
    {
        var model = Model(Config("gpt2"), seed: 3);
        int[] prompt = [Vocab - 1, 4, 8, 15, 16];
        // The end token is one greedy produces a few steps in, so both must stop at its first occurrence, with it.
        var free = OurGreedy(model, prompt, Steps, eos: -1).ToList();
        int eos = free[4], stop = free.IndexOf(eos);
        Assert.DoesNotContain(eos, prompt);
        Export(model, new GenAiOptions { EosTokenId = eos, PadTokenId = free.Contains(Vocab - 2) ? 0 : Vocab - 2 });
        var expected = OurGreedy(model, prompt, Steps, eos).ToList();
        Assert.Equal(free[..(stop + 1)], expected);
        Assert.Equal(expected, GenAiGreedy(dir, prompt, prompt.Length + Steps, eos));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConfigNamesAndShapesMatchTheGraphReadBack(bool fused)
    {
        var model = Model(Config("llama-gqa"), seed: 2);
        var path = Export(model, new GenAiOptions { EosTokenId = 7, PadTokenId = 1, MaxLength = 100, DoSample = true, TopK = 5, TopP = 0.9, Temperature = 0.7 }, fused);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "genai_config.json")))!;
        var graph = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        var inputs = graph.Input.ToDictionary(v => v.Name, Dims);
        var outputs = graph.Output.ToDictionary(v => v.Name, Dims);

        var m = json["model"]!;
        var d = m["decoder"]!;
        Assert.Equal("decoder", (string?)m["type"]);
        Assert.Equal("model.onnx", (string?)d["filename"]);
        int layers = (int)d["num_hidden_layers"]!, kvHeads = (int)d["num_key_value_heads"]!, headSize = (int)d["head_size"]!;
        Assert.Equal(3, layers);
        Assert.Equal(4, (int)d["num_attention_heads"]!);
        Assert.Equal(64, (int)d["hidden_size"]!);
        Assert.Equal(Vocab, (int)m["vocab_size"]!);
        Assert.Equal(256, (int)m["context_length"]!);
        Assert.Equal((7, 7, 1), ((int)m["eos_token_id"]!, (int)m["bos_token_id"]!, (int)m["pad_token_id"]!));

        var i = d["inputs"]!;
        var o = d["outputs"]!;
        Assert.Equal(["batch_size", "sequence_length"], inputs[(string)i["input_ids"]!]);
        Assert.Equal(["batch_size", "sequence_length"], inputs[(string)i["position_ids"]!]);
        Assert.Equal(["batch_size", "past_sequence_length + sequence_length"], inputs[(string)i["attention_mask"]!]);
        Assert.Equal(["batch_size", "sequence_length", $"{Vocab}"], outputs[(string)o["logits"]!]);
        // Every layer's cache under the templates, (batch, kv heads, length, head size); nothing else in the graph.
        var named = new HashSet<string> { (string)i["input_ids"]!, (string)i["position_ids"]!, (string)i["attention_mask"]! };
        for (int layer = 0; layer < layers; layer++)
        {
            foreach (var key in new[] { "past_key_names", "past_value_names" })
            {
                var name = ((string)i[key]!).Replace("%d", $"{layer}");
                Assert.Equal(["batch_size", $"{kvHeads}", "past_sequence_length", $"{headSize}"], inputs[name]);
                named.Add(name);
            }
            foreach (var key in new[] { "present_key_names", "present_value_names" })
                Assert.Equal(["batch_size", $"{kvHeads}", "past_sequence_length + sequence_length", $"{headSize}"],
                    outputs[((string)o[key]!).Replace("%d", $"{layer}")]);
        }
        Assert.Equal(named.Order(), inputs.Keys.Order());
        Assert.Equal(1 + 2 * layers, outputs.Count);

        var s = json["search"]!;
        Assert.Equal((100, true, 5, false), ((int)s["max_length"]!, (bool)s["do_sample"]!, (int)s["top_k"]!, (bool)s["past_present_share_buffer"]!));
        Assert.Equal((0.9, 0.7), ((double)s["top_p"]!, (double)s["temperature"]!));
    }

    static string[] Dims(global::Onnx.ValueInfoProto v) =>
        [.. v.Type.TensorType.Shape.Dim.Select(x => x.HasDimParam ? x.DimParam : $"{x.DimValue}")];

    [Theory]
    [InlineData(40, null, null, 50, 1.0, 1.0, "eos token id 40")]
    [InlineData(3, -1, null, 50, 1.0, 1.0, "bos token id -1")]
    [InlineData(3, null, 0, 50, 1.0, 1.0, "max_length 0")]
    [InlineData(3, null, 257, 50, 1.0, 1.0, "max_length 257")]
    [InlineData(3, null, null, 0, 1.0, 1.0, "top_k 0")]
    [InlineData(3, null, null, 50, 0.0, 1.0, "top_p 0")]
    [InlineData(3, null, null, 50, 1.0, 0.0, "temperature 0")]
    public void OutOfRangeOptionsAreRefusedNamingTheField(int eos, int? bos, int? maxLength, int topK, double topP, double temperature, string expected)
    {
        var model = Model(CausalLMConfig.Tiny(Vocab), seed: 1);
        var options = new GenAiOptions { EosTokenId = eos, BosTokenId = bos, MaxLength = maxLength, TopK = topK, TopP = topP, Temperature = temperature };
        var e = Assert.Throws<ArgumentException>(() => GenAiConfig.Write(model, Path.Combine(dir, "m.onnx"), options));
        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(Path.Combine(dir, GenAiConfig.FileName)));
    }
}
