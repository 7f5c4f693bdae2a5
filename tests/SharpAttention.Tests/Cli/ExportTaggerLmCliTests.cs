using SharpAttention.Autograd;
using SharpAttention.Tasks.LanguageModeling;
using SharpAttention.Tasks.Tagging;
using SharpAttention.Tensors;
using SharpAttention.Tests.Onnx;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn export` on the folders `attn train tag` and `attn train lm` write: the .onnx file with config.json and the
/// tokenizer files beside it, whose logits in ONNX Runtime equal the loaded model's Forward on the same ids (for the
/// language model also genai_config.json and tokenizer.json, with which ONNX Runtime GenAI tokenizes as we do and
/// generates LanguageModel's greedy tokens); a tagger
/// with a character CNN (which the exporter cannot express) is refused in one line and no file is written.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class ExportTaggerLmCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("attn-export-tl").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static readonly long[] Ids = [5, 17, 9, 30, 12, 7, 22];

    string Write(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    string TrainTagger(string name, params string[] extra)
    {
        string[] words = ["the", "a", "cat", "dog", "sees", "runs", "park"];
        string[] tags = ["det", "det", "nn", "nn", "vb", "vb", "nn"];
        var rng = new Random(3);
        var lines = new List<string>();
        for (int s = 0; s < 80; s++)
        {
            for (int w = 0; w < 4; w++) { int k = rng.Next(words.Length); lines.Add($"{words[k]}\t{tags[k]}"); }
            lines.Add("");
        }
        var data = Write(name + ".conll", lines);
        var run = Path.Combine(dir, name);
        var train = CliRun.Run("", ["train", "tag", "--preset", "tiny", "--data", data, "--out", run, "--max-steps", "5", "--threads", "1", .. extra]);
        Assert.True(train.Code == 0, train.Error + train.Output);
        return run;
    }

    [Fact]
    public void Tagger_without_a_character_encoder_exports_and_matches_forward()
    {
        var config = Write("nochar.json", ["{\"char_dim\": 0}"]);
        var run = TrainTagger("tag", "--config", config);
        var outDir = Path.Combine(dir, "tag-onnx");
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, "model.onnx");
        var export = CliRun.Run("", "export", "--model", run, "--out", path);
        Assert.True(export.Code == 0, export.Error + export.Output);
        foreach (var file in new[] { "model.onnx", "config.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);

        var model = SequenceTagger.Load(run).Model;
        var idsT = Tensor.FromArray(Ids, 1, Ids.Length);
        Tensor expected;
        using (GradMode.NoGrad()) expected = model.Forward(idsT, idsT.Eq(-1));
        using var session = Ort.Session(path);
        var mask = Enumerable.Repeat(1L, Ids.Length).ToArray();
        Ort.AssertClose(expected, Ort.Run(session, [Ort.Input("input_ids", Ids, 1, Ids.Length), Ort.Input("attention_mask", mask, 1, Ids.Length)])["logits"]);
        OnnxChecker.AssertValid(path);
    }

    [Fact]
    public void Tagger_with_a_character_encoder_is_refused_in_one_line()
    {
        var run = TrainTagger("tagchar");
        var path = Path.Combine(dir, "refused.onnx");
        CliRun.Fails(CliRun.Run("", "export", "--model", run, "--out", path), 1, "cannot be exported");
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Language_model_exports_with_past_inputs_and_matches_forward()
    {
        var rng = new Random(4);
        string[] vocabulary = ["one", "two", "three", "four", "five", "six"];
        var paragraphs = Enumerable.Range(0, 60).Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => vocabulary[rng.Next(vocabulary.Length)])) + "\n");
        var data = Write("corpus.txt", paragraphs);
        var run = Path.Combine(dir, "lm");
        var train = CliRun.Run("", "train", "lm", "--preset", "tiny", "--data", data, "--out", run, "--max-steps", "5", "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        var outDir = Path.Combine(dir, "lm-onnx");
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, "model.onnx");
        var export = CliRun.Run("", "export", "--model", run, "--out", path, "--fused");
        Assert.True(export.Code == 0, export.Error + export.Output);
        foreach (var file in new[] { "model.onnx", "config.json", "tokenizer_config.json", "genai_config.json", "tokenizer.json" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);

        var lm = LanguageModel.Load(run);
        var model = lm.Model;
        var idsT = Tensor.FromArray(Ids, 1, Ids.Length);
        Tensor expected;
        using (GradMode.NoGrad()) expected = model.Forward(idsT, idsT.Eq(-1));
        var mask = Enumerable.Repeat(1L, Ids.Length).ToArray();
        var positions = Enumerable.Range(0, Ids.Length).Select(p => (long)p).ToArray();
        using var session = Ort.Session(path);
        Ort.AssertClose(expected, Ort.Run(session, CausalLmExportTests.Inputs(model, Ids, mask, positions, 1, Ids.Length, past: null, 0))["logits"]);
        OnnxChecker.AssertValid(path);

        // ONNX Runtime GenAI on the exported folder. Its tokenizer (onnxruntime-extensions, reading tokenizer.json)
        // encodes as ours does, unseen words, specials, runs of spaces and multi-byte characters included.
        using var genai = new Microsoft.ML.OnnxRuntimeGenAI.Model(outDir);
        using var tokenizer = new Microsoft.ML.OnnxRuntimeGenAI.Tokenizer(genai);
        foreach (var text in new[] { "three one four", " héllo wörld! six", "unseen Zebra 123 </s> x", "it's  two\t\tthree \n\n five  ", "日本語 😀 ok" })
            Assert.Equal(lm.Tokenizer.EncodeToIds(text), tokenizer.Encode(text)[0].ToArray());
        // The prompt's ids after the end-of-text token, as `attn generate` feeds them; GenAI's greedy steps are
        // LanguageModel's greedy tokens (the end token included when produced).
        int eos = lm.EosId!.Value;
        int[] prompt = [eos, .. tokenizer.Encode("three one four")[0]];
        var ours = lm.GenerateTokens([.. prompt.Select(i => (long)i)], new GenerationOptions { DoSample = false, MaxNewTokens = 20 }).Select(t => t.Id).ToList();
        using var parameters = new Microsoft.ML.OnnxRuntimeGenAI.GeneratorParams(genai);
        parameters.SetSearchOption("max_length", prompt.Length + 20);
        using var generator = new Microsoft.ML.OnnxRuntimeGenAI.Generator(genai, parameters);
        generator.AppendTokens(prompt);
        var steps = new List<int>();
        while (!generator.IsDone())
        {
            generator.GenerateNextToken();
            steps.Add(generator.GetNextTokens()[0]);
        }
        Assert.Equal(ours, steps);
    }
}
