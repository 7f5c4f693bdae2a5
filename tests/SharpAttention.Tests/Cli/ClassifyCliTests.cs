using SharpAttention.Tests.Support;
using System.Text.Json;
using SharpAttention.Tasks.Classification;
using SharpAttention.Tests.Kernels;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn train|eval|predict|attend` on classification, end to end on a synthetic task whose label says whether the
/// keyword "zebra" occurs among random words: the tiny preset must learn it exactly, predict it, point at the keyword
/// when explaining, and resume to the same weights as an uninterrupted run.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class ClassifyCliTests : IDisposable
{
    static readonly string[] Filler = ["apple", "river", "stone", "cloud", "green", "table", "music", "paper", "light", "window", "garden", "orange"];

    readonly string dir = Directory.CreateTempSubdirectory("attn-classify").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static (int Code, string Output, string Error) Run(string stdin, params string[] args) => CliRun.Run(stdin, args);

    static void Fails((int Code, string Output, string Error) result, int code, params string[] names) => CliRun.Fails(result, code, names);

    /// <summary>Random filler sentences, every other one with "zebra" somewhere: label yes/no.</summary>
    internal static string WriteKeywordData(string dir, string name, int count, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string> { "text,label" };
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, random.Next(4, 12)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            bool yes = i % 2 == 0;
            if (yes) words.Insert(random.Next(words.Count + 1), "zebra");
            lines.Add($"{string.Join(' ', words)},{(yes ? "yes" : "no")}");
        }
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    static double TestAccuracy(string run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement.GetProperty("test").GetProperty("accuracy").GetDouble();

    [Fact]
    public void Keyword_task_trains_to_100_percent_predicts_and_explains()
    {
        var data = WriteKeywordData(dir, "keyword.csv", 240, seed: 7);
        var run = Path.Combine(dir, "run");
        var train = Run("", "train", "classify", "--preset", "tiny", "--data", data, "--out", run, "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Equal(1.0, TestAccuracy(run));
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer_config.json", "vocab.json", "merges.txt", "recipe.json", "confusion.png", "loss.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Contains("true \\ predicted", train.Output);

        var predict = Run("", "predict", "--model", run, "apple zebra river garden", "stone cloud green table");
        Assert.True(predict.Code == 0, predict.Error);
        var labels = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToArray();
        Assert.Equal(["yes", "no"], labels);

        var piped = Run("music zebra paper\n{\"text\": \"light window orange\"}\n", "predict", "--model", run, "--json");
        Assert.True(piped.Code == 0, piped.Error);
        var rows = piped.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["yes", "no"], rows.Select(r => r.GetProperty("label").GetString()));
        Assert.Equal("light window orange", rows[1].GetProperty("text").GetString());
        Assert.Equal(1.0, rows[0].GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 3);

        // The keyword's characters carry the largest pooling weight.
        const string text = "garden apple zebra river stone light";
        var explanation = TextClassifier.Load(run).Explain(text);
        var top = explanation.Tokens.MaxBy(t => t.Weight);
        int keyword = text.IndexOf("zebra", StringComparison.Ordinal);
        Assert.True(top.Start < keyword + 5 && top.End > keyword, $"top token '{top.Token}' at {top.Start}..{top.End}");
        // So does its evidence for "yes" against "no" (integrated gradients): the keyword is what decides.
        Assert.Equal("no", explanation.Against);
        var strongest = explanation.Tokens.MaxBy(t => t.Evidence);
        Assert.True(strongest.Start < keyword + 5 && strongest.End > keyword, $"strongest evidence '{strongest.Token}' at {strongest.Start}..{strongest.End}");

        var html = Path.Combine(dir, "why.html");
        var attend = Run("", "attend", "--model", run, text, "--out", html);
        Assert.True(attend.Code == 0, attend.Error);
        Assert.StartsWith("yes\t", attend.Output);
        var page = File.ReadAllText(html);
        Assert.Contains("Pooling weights", page);
        Assert.Contains("data-map=\"0,1\"", page);   // layer 1, head 2 of the tiny preset's 1 × 2

        var eval = Run("", "eval", "classify", "--model", run, "--data", data, "--json");
        Assert.True(eval.Code == 0, eval.Error);
        var metrics = JsonDocument.Parse(eval.Output).RootElement;
        Assert.Equal(240, metrics.GetProperty("count").GetInt32());
        Assert.Equal(2, metrics.GetProperty("confusion_matrix").GetArrayLength());

        Fails(Run("", "predict", "--model", run, "--beam", "2", "zebra"), 2, "--beam applies to g2p models");
        Fails(Run("", "predict", "--model", run, "--model", run, "zebra"), 2, "give one --model");
        Fails(Run("", "predict", "--model", run), 2, "no texts");
        Fails(Run("{\"label\": 1}\n", "predict", "--model", run), 2, "stdin:1:", "\"text\"");
        Fails(Run("", "attend", "--model", run, "zebra", "--out", Path.Combine(dir, "why.png")), 1, "--out", ".html");
        Fails(Run("", "eval", "classify", "--model", run), 2, "--data is required");
        Fails(Run("", "eval", "g2p", "--model", run), 1, "--model");
    }

    [Fact]
    public void A_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one()
    {
        var data = WriteKeywordData(dir, "resume.csv", 120, seed: 3);
        var straight = Path.Combine(dir, "straight");
        var stopped = Path.Combine(dir, "stopped");
        string[] common = ["train", "classify", "--preset", "tiny", "--epochs", "3", "--data", data, "--threads", "1"];
        Assert.Equal(0, Run("", [.. common, "--out", straight]).Code);
        Assert.Equal(0, Run("", [.. common, "--out", stopped, "--max-steps", "10"]).Code);
        Fails(Run("", [.. common, "--out", stopped]), 1, "--resume");
        Fails(Run("", [.. common, "--out", stopped, "--resume", "--pooling", "mean"]), 1, "--resume", "only the schedule");
        var resumed = Run("", [.. common, "--out", stopped, "--resume", "--max-steps", "1000"]);
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Contains("resuming", resumed.Output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(stopped, "model.safetensors")));
    }

    [Fact]
    public void Pretraining_shows_its_progress_and_a_run_stopped_before_fine_tuning_is_not_resumed()
    {
        var data = WriteKeywordData(dir, "pretrain.csv", 80, seed: 4);
        var config = Path.Combine(dir, "pretrain.json");
        File.WriteAllText(config, "{\"pretrain_epochs\": 2, \"epochs\": 2}");
        var run = Path.Combine(dir, "pretrained");
        string[] args = ["train", "classify", "--preset", "tiny", "--config", config, "--data", data, "--out", run];
        var trained = Run("", args);
        Assert.True(trained.Code == 0, trained.Error + trained.Output);
        Assert.Contains("pre-training epoch 2/2: masked-LM loss", trained.Output);
        Assert.Equal(2, JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "recipe.json"))).RootElement.GetProperty("pretrain_epochs").GetInt32());
        Assert.Equal(0, Run("", "predict", "--model", run, "green zebra").Code);
        // As if killed while pre-training: the recipe is there, no fine-tuning checkpoint yet.
        Directory.Delete(Path.Combine(run, "checkpoints"), recursive: true);
        Fails(Run("", [.. args, "--resume"]), 1, "--resume", "before fine-tuning began", "without --resume");
    }

    [Fact]
    public void Data_errors_name_the_file_and_line_or_the_class()
    {
        var good = WriteKeywordData(dir, "good.csv", 40, seed: 1);
        string Write(string name, string content)
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path, content);
            return path;
        }
        string[] Train(params string[] more) => ["train", "classify", "--preset", "tiny", "--out", Path.Combine(dir, "r-" + Guid.NewGuid().ToString("N")), .. more];

        var ragged = Write("ragged.csv", "text,label\na b,yes\nc d,no,extra\n");
        Fails(Run("", Train("--data", ragged)), 1, $"{ragged}:3:");
        var one = Write("one.csv", "text,label\na,x\nb,x\nc,x\n");
        Fails(Run("", Train("--data", one)), 1, "only one class", "'x'");
        var unseen = Write("unseen.csv", "text,label\nzebra apple,maybe\n");
        Fails(Run("", Train("--data", good, "--test", unseen)), 1, $"{unseen}:2:", "'maybe'", "never occurs in the training data");
        var classes = Path.Combine(dir, "classes");
        Directory.CreateDirectory(Path.Combine(classes, "yes"));
        Directory.CreateDirectory(Path.Combine(classes, "no"));
        File.WriteAllText(Path.Combine(classes, "yes", "1.txt"), "zebra apple");
        Fails(Run("", Train("--data", classes)), 1, "class 'no' is empty");
        Fails(Run("", Train("--data", good, "--text-column", "body")), 1, good, "body");
        Fails(Run("", Train("--data", Path.Combine(dir, "absent.csv"))), 1, "--data", "absent.csv", "does not exist");
        Fails(Run("", Train()), 2, "--data is required");
    }

    [Fact]
    public void A_fixed_threshold_is_stored_and_predict_decides_by_it()
    {
        var data = WriteKeywordData(dir, "threshold.csv", 120, seed: 3);
        var run = Path.Combine(dir, "threshold-run");
        var train = Run("", "train", "classify", "--preset", "tiny", "--data", data, "--out", run, "--threads", "1", "--epochs", "2", "--threshold", "0.4");
        Assert.True(train.Code == 0, train.Error + train.Output);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;
        Assert.Equal(0.4, config.GetProperty("decision_threshold").GetDouble());
        Assert.True(JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement.TryGetProperty("test_argmax", out _));

        string[] texts = ["apple zebra river", "stone zebra", "zebra", "green table cloud", "music paper zebra light window", "orange garden"];
        var predict = Run("", ["predict", "--model", run, "--json", .. texts]);
        Assert.True(predict.Code == 0, predict.Error);
        var rows = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(texts.Length, rows.Length);
        foreach (var row in rows)
        {
            double yes = row.GetProperty("probabilities").GetProperty("yes").GetDouble();
            // Rounded to 6 places in the output: stay clear of the cut itself.
            if (Math.Abs(yes - 0.4) > 1e-5) Assert.Equal(yes >= 0.4 ? "yes" : "no", row.GetProperty("label").GetString());
        }
        // Two epochs leave the model unsure: some text has 0.4 ≤ P(yes) < 0.5, where the arg-max would have said no.
        Assert.True(rows.Any(row => row.GetProperty("probabilities").GetProperty("yes").GetDouble() is >= 0.4 and < 0.5), predict.Output);
    }

    [Fact]
    public void Classify_flags_and_config_keys_are_checked_before_any_work()
    {
        var data = WriteKeywordData(dir, "flags.csv", 40, seed: 2);
        string[] Train(params string[] more) => ["train", "classify", "--preset", "tiny", "--data", data, "--out", Path.Combine(dir, "f-" + Guid.NewGuid().ToString("N")), .. more];
        Fails(Run("", Train("--pooling", "sum")), 2, "sum");
        Fails(Run("", Train("--seed", "-1")), 2, "--seed must lie in");
        Fails(Run("", Train("--split", "a/b")), 2, "--split", "'a'");
        Fails(Run("", Train("--split", "80/10/10", "--valid", data, "--test", data)), 2, "--split has nothing to split");
        Fails(Run("", Train("--split", "80/10/10", "--test", data)), 2, "--split", "give 2");
        Fails(Run("", Train("--recipe", "ham")), 2, "ham");
        Fails(Run("", ["train", "classify", "--preset", "quick", "--recipe", "spam"]), 2, "--preset and --recipe");
        Fails(Run("", ["train", "classify", "--recipe", "spam", "--test", data]), 2, "--recipe spam brings its own split");
        var config = Path.Combine(dir, "bad.json");
        File.WriteAllText(config, "{\n  \"epochs\": 2,\n  \"vocab_size\": 10\n}");
        Fails(Run("", Train("--config", config)), 1, $"{config}:3:", "vocab_size = 10 must lie in 260..");
        File.WriteAllText(config, "{\"pooling\": \"sum\"}");
        Fails(Run("", Train("--config", config)), 1, $"{config}:1:", "pooling");
        File.WriteAllText(config, "{\"num_heads\": 3}");
        Fails(Run("", Train("--config", config)), 1, "num_heads = 3 must divide d_model = 32");
        Fails(Run("", Train("--threshold", "1.5")), 2, "--threshold '1.5'", "(0, 1)");
        Fails(Run("", Train("--threshold", "best")), 2, "--threshold 'best'", "auto");
        File.WriteAllText(config, "{\"decision_threshold\": 0}");
        Fails(Run("", Train("--config", config)), 1, $"{config}:1:", "decision_threshold = 0");
        File.WriteAllText(config, "{\"decision_threshold\": 0.3, \"tune_threshold\": true}");
        Fails(Run("", Train("--config", config)), 1, "give one");
        File.WriteAllText(config, "{\n  \"pretrain_epochs\": -1\n}");
        Fails(Run("", Train("--config", config)), 1, $"{config}:2:", "pretrain_epochs = -1 must lie in 0..100,000");
        File.WriteAllText(config, "{\"pretrain_epochs\": 2, \"mlm_probability\": 1}");
        Fails(Run("", Train("--config", config)), 1, $"{config}:1:", "mlm_probability = 1");
        File.WriteAllText(config, "{\"pretrain_learning_rate\": 0}");
        Fails(Run("", Train("--config", config)), 1, $"{config}:1:", "pretrain_learning_rate = 0");
        var three = Path.Combine(dir, "three.csv");
        File.WriteAllLines(three, ["text,label", "a b,x", "c d,y", "e f,z", "g h,x", "i j,y", "k l,z", "m n,x", "o p,y", "q r,z", "s t,x", "u v,y", "w x,z"]);
        Fails(Run("", ["train", "classify", "--preset", "tiny", "--data", three, "--out", Path.Combine(dir, "three"), "--threshold", "auto"]), 1, "needs two classes", "x, y, z");
    }
}
