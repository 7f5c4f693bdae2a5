using SharpAttention.Tests.Support;
using System.Text.Json;
using SharpAttention.Tasks.Classification;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn train classify --ensemble-folds K` end to end on the keyword task (<see cref="ClassifyCliTests"/>): member
/// folders, progress per member, and eval/predict/attend on the ensemble folder against its members run one by one;
/// export and impossible fold counts refused with the flag or key named.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class ClassifyEnsembleCliTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("attn-classify-ensemble").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static (int Code, string Output, string Error) Run(string stdin, params string[] args) => CliRun.Run(stdin, args);

    [Fact]
    public void An_ensemble_trains_predicts_evaluates_and_explains_from_its_folder()
    {
        var data = ClassifyCliTests.WriteKeywordData(dir, "keyword.csv", 180, seed: 11);
        var run = Path.Combine(dir, "run");
        var train = Run("", "train", "classify", "--preset", "tiny", "--ensemble-folds", "3", "--threshold", "auto", "--split", "80/20", "--data", data, "--out", run, "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        foreach (var member in new[] { "member 1/3:", "member 2/3:", "member 3/3:" }) Assert.Contains(member, train.Output);
        Assert.Contains("out-of-fold probabilities", train.Output);
        for (int i = 0; i < 3; i++)
            foreach (var file in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "results.json" })
                Assert.True(File.Exists(Path.Combine(run, $"member-{i}", file)), $"member-{i}/{file}");
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement;
        Assert.Equal(3, results.GetProperty("ensemble_folds").GetInt32());
        Assert.Equal(144, results.GetProperty("out_of_fold").GetProperty("count").GetInt32());   // 80 % of 180, each scored once
        Assert.Equal(1.0, results.GetProperty("test").GetProperty("accuracy").GetDouble());

        // predict: the mean of the members' probabilities, each member predicting from its own folder.
        string[] texts = ["apple zebra river garden", "stone cloud green table"];
        var predict = Run("", ["predict", "--model", run, "--json", .. texts]);
        Assert.True(predict.Code == 0, predict.Error);
        var rows = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["yes", "no"], rows.Select(r => r.GetProperty("label").GetString()));
        for (int t = 0; t < texts.Length; t++)
        {
            double mean = Enumerable.Range(0, 3).Average(i =>
                JsonDocument.Parse(Run("", "predict", "--model", Path.Combine(run, $"member-{i}"), "--json", texts[t]).Output).RootElement
                    .GetProperty("probabilities").GetProperty("yes").GetDouble());
            Assert.Equal(mean, rows[t].GetProperty("probabilities").GetProperty("yes").GetDouble(), 5);
        }

        var eval = Run("", "eval", "classify", "--model", run, "--data", data, "--json");
        Assert.True(eval.Code == 0, eval.Error);
        Assert.Equal(180, JsonDocument.Parse(eval.Output).RootElement.GetProperty("count").GetInt32());

        var html = Path.Combine(dir, "why.html");
        var attend = Run("", "attend", "--model", run, "garden apple zebra river", "--out", html);
        Assert.True(attend.Code == 0, attend.Error);
        Assert.StartsWith("yes\t", attend.Output);
        Assert.Contains("Pooling weights", File.ReadAllText(html));
        Assert.Contains("an ensemble of 3", File.ReadAllText(html));

        CliRun.Fails(Run("", "train", "classify", "--preset", "tiny", "--data", data, "--out", run, "--threads", "1"), 1, "already holds a training run");
        CliRun.Fails(Run("", "train", "classify", "--preset", "tiny", "--ensemble-folds", "3", "--threshold", "auto", "--split", "80/20", "--data", data,
            "--out", run, "--threads", "1"), 1, "already holds a training run");
        CliRun.Fails(Run("", "export", "--model", run, "--out", Path.Combine(dir, "model.onnx")), 1, "ensemble", "member-0", "member-2");
        Assert.True(TextClassifier.Load(run).Members.Count == 3);
    }

    [Fact]
    public void Impossible_fold_counts_are_refused_naming_the_flag_or_key()
    {
        var data = ClassifyCliTests.WriteKeywordData(dir, "few.csv", 20, seed: 12);   // 8 of each class in training
        var config = Path.Combine(dir, "zero.json");
        File.WriteAllText(config, "{\n  \"ensemble_folds\": 0\n}\n");
        string[] common = ["train", "classify", "--preset", "tiny", "--data", data, "--threads", "1"];
        CliRun.Fails(Run("", [.. common, "--out", Path.Combine(dir, "a"), "--ensemble-folds", "0"]), 2, "--ensemble-folds");
        CliRun.Fails(Run("", [.. common, "--out", Path.Combine(dir, "b"), "--config", config]), 1, "ensemble_folds", "zero.json");
        CliRun.Fails(Run("", [.. common, "--out", Path.Combine(dir, "c"), "--ensemble-folds", "9"]), 1, "ensemble_folds", "--ensemble-folds", "smallest class has 8");
    }
}
