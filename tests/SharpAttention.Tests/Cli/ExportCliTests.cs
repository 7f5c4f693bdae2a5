using SharpAttention.Tasks.Classification;
using SharpAttention.Tensors;
using SharpAttention.Tests.Onnx;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn export`: a classifier folder becomes model.onnx with config.json and the tokenizer files beside it, whose
/// probabilities in ONNX Runtime (on inputs built from the copied files alone) equal `TextClassifier.Predict`'s; a g2p
/// folder becomes the encoder and decoder graphs with the recipe and tokenizers; bad flags and paths are one line.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class ExportCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("attn-export").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string TrainClassifier()
    {
        var data = ClassifyCliTests.WriteKeywordData(dir, "keyword.csv", 120, seed: 5);
        var run = Path.Combine(dir, "run");
        var train = CliRun.Run("", "train", "classify", "--preset", "tiny", "--data", data, "--out", run, "--max-steps", "20", "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        return run;
    }

    [Fact]
    public void Classifier_exports_with_its_tokenizer_and_predicts_the_same_in_onnx_runtime()
    {
        var run = TrainClassifier();
        string[] texts = ["apple zebra river garden", "stone cloud green table", "zebra", "music paper light window garden orange apple river"];
        var expected = TextClassifier.Load(run).Predict(texts);
        foreach (var fused in new[] { false, true })
        {
            var outDir = Path.Combine(dir, fused ? "fused" : "plain");
            Directory.CreateDirectory(outDir);
            var path = Path.Combine(outDir, "model.onnx");
            string[] args = ["export", "--model", run, "--out", path, .. fused ? new[] { "--fused" } : []];
            var export = CliRun.Run("", args);
            Assert.True(export.Code == 0, export.Error + export.Output);
            foreach (var file in new[] { "model.onnx", "config.json", "tokenizer_config.json", "vocab.json", "merges.txt" })
                Assert.True(File.Exists(Path.Combine(outDir, file)), file);
            Assert.Contains($"wrote {path}", export.Output);

            var inputs = ClassifierInputs.Load(outDir);
            var batch = inputs.Encode(texts);
            int b = batch.InputIds.Size(0), t = batch.InputIds.Size(1);
            using var session = Ort.Session(path);
            var logits = Ort.Run(session, [Ort.Input("input_ids", batch.InputIds.ToInt64Array(), b, t),
                                           Ort.Input("attention_mask", batch.AttentionMask.ToInt64Array(), b, t)])["logits"];
            var probabilities = Tensor.FromArray(logits.Data, logits.Shape).Softmax(-1).ToArray();
            for (int i = 0; i < texts.Length; i++)
                for (int c = 0; c < inputs.Labels.Count; c++)
                    Assert.Equal(expected[i].Probabilities[inputs.Labels[c]], probabilities[i * inputs.Labels.Count + c], 1e-5);
            OnnxChecker.AssertValid(path);
        }
    }

    [Fact]
    public void G2p_exports_three_graphs_with_recipe_and_tokenizers()
    {
        var dictionary = CliSmokeTests.WriteDictionary(dir);
        var run = Path.Combine(dir, "g2p");
        var train = CliRun.Run("", "train", "g2p", "--preset", "tiny", "--data", dictionary, "--out", run, "--max-steps", "3", "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        var outDir = Path.Combine(dir, "g2p-onnx");
        var export = CliRun.Run("", "export", "--model", run, "--out", outDir, "--opset", "18");
        Assert.True(export.Code == 0, export.Error + export.Output);
        foreach (var file in new[] { "encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx", "recipe.json", "source_tokenizer/tokenizer_config.json", "target_tokenizer/tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        CliRun.Fails(CliRun.Run("", "export", "--model", run, "--out", Path.Combine(dir, "g2p.onnx")), 1, "--out", "name a folder");
    }

    [Fact]
    public void Bad_flags_and_paths_are_one_line()
    {
        var run = TrainClassifier();
        CliRun.Fails(CliRun.Run("", "export", "--model", run, "--out", Path.Combine(dir, "model.txt")), 1, "--out", ".onnx");
        CliRun.Fails(CliRun.Run("", "export", "--model", run, "--out", Path.Combine(dir, "missing", "model.onnx")), 1, "--out", "does not exist");
        CliRun.Fails(CliRun.Run("", "export", "--model", run, "--out", Path.Combine(dir, "m.onnx"), "--opset", "16"), 2, "--opset");
        CliRun.Fails(CliRun.Run("", "export", "--model", Path.Combine(dir, "nowhere"), "--out", Path.Combine(dir, "m.onnx")), 1, "--model", "does not exist");
        CliRun.Fails(CliRun.Run("", "export", "--out", Path.Combine(dir, "m.onnx")), 2, "--model");
    }
}
