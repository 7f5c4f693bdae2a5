using System.Text.Json;
using SharpAttention.Cli;
using SharpAttention.Tests.Kernels;

namespace SharpAttention.Tests.Cli;

/// <summary>The `attn` tool end to end on a tiny synthetic dictionary: train a few steps, eval, predict, attend,
/// resume — plus the error paths (bad flags, missing files, malformed data), which must exit 1 (2 for a malformed
/// command line) with one clear line; CliContractTests covers the error contract class by class.</summary>
[Collection(nameof(ThreadCountCollection))]
public class CliSmokeTests
{
    static readonly Dictionary<char, string> Sounds = new()
    {
        ['A'] = "AA", ['B'] = "B", ['C'] = "K", ['D'] = "D", ['E'] = "IY", ['F'] = "F", ['G'] = "G", ['H'] = "HH",
    };

    /// <summary>300 words over 8 letters, each pronounced letter by letter: a task a tiny model can start to learn.</summary>
    internal static string WriteDictionary(string folder)
    {
        var random = new Random(7);
        var words = new SortedSet<string>(StringComparer.Ordinal);
        while (words.Count < 300)
            words.Add(new string([.. Enumerable.Range(0, random.Next(2, 7)).Select(_ => (char)('A' + random.Next(8)))]));
        var lines = words.Select(w => $"{w}  {string.Join(' ', w.Select(c => Sounds[c] + (Sounds[c] is "AA" or "IY" ? "1" : "")))}");
        var path = Path.Combine(folder, "dict.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    internal static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The WER and PER cells of an eval table's first row.</summary>
    static string Rates(string output) =>
        System.Text.RegularExpressions.Regex.Match(System.Text.RegularExpressions.Regex.Replace(output, @"\x1b\[[0-9;]*m", ""),
            @"this (?:model|ensemble)\W+([0-9.]+%)\W+([0-9.]+%)") is { Success: true } m
            ? m.Groups[1].Value + " " + m.Groups[2].Value
            : throw new Xunit.Sdk.XunitException("no WER/PER row in: " + output);

    [Fact]
    public void Train_eval_predict_attend_resume()
    {
        var dir = Directory.CreateTempSubdirectory("attn-cli").FullName;
        var dict = WriteDictionary(dir);
        var run = Path.Combine(dir, "run");

        var train = Run("train", "g2p", "--preset", "tiny", "--data", dict, "--out", run, "--max-steps", "6", "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Contains("this model", train.Output);
        foreach (var file in new[] { "recipe.json", "source_tokenizer/vocab.json", "target_tokenizer/tokenizer_config.json", "model.safetensors", "metrics.jsonl", "loss.png", "results.json", "checkpoints/last.safetensors" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"missing {file}");
        using (var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))))
        {
            double wer = results.RootElement.GetProperty("wer").GetDouble();
            Assert.InRange(wer, 0, 1);
        }
        Assert.Equal(6, File.ReadLines(Path.Combine(run, "metrics.jsonl")).Count(l => l.Contains("\"kind\":\"step\"")));

        var eval = Run("eval", "g2p", "--model", run, "--data", dict, "--beam", "2");
        Assert.True(eval.Code == 0, eval.Error);
        Assert.Contains("WER", eval.Output);
        Assert.Contains("test:", eval.Output);
        // The model twice as an ensemble: the averaged probabilities are the model's own, so the same WER.
        var twice = Run("eval", "g2p", "--model", run, "--model", run, "--data", dict, "--beam", "2");
        Assert.True(twice.Code == 0, twice.Error);
        Assert.Contains("ensemble of 2 models", twice.Output);
        Assert.Equal(Rates(eval.Output), Rates(twice.Output));
        var other = Path.Combine(dir, "other");
        Directory.CreateDirectory(other);
        foreach (var file in Directory.GetFiles(run, "*", SearchOption.AllDirectories).Where(f => !f.Contains("checkpoints")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(other, Path.GetRelativePath(run, file)))!);
            File.Copy(file, Path.Combine(other, Path.GetRelativePath(run, file)));
        }
        // Swap the last two phonemes' ids in target_tokenizer/vocab.json (one "token": id entry per line).
        var vocabPath = Path.Combine(other, "target_tokenizer", "vocab.json");
        var phonemes = File.ReadAllLines(vocabPath);
        static string Token(string line) => line[..line.LastIndexOf(':')];
        static string Id(string line) => line[line.LastIndexOf(':')..];
        (phonemes[^2], phonemes[^3]) = (Token(phonemes[^3]) + Id(phonemes[^2]), Token(phonemes[^2]) + Id(phonemes[^3]));
        File.WriteAllLines(vocabPath, phonemes);
        var mismatch = Run("eval", "g2p", "--model", run, "--model", other, "--data", dict);
        Assert.Equal(1, mismatch.Code);
        Assert.Contains("model 2 was trained with other letter or phoneme vocabularies", mismatch.Error);
        var evalTrain = Run("eval", "g2p", "--model", run, "--data", dict, "--beam", "1", "--part", "train");
        Assert.True(evalTrain.Code == 0, evalTrain.Error);
        Assert.Contains("train:", evalTrain.Output);

        var predict = Run("predict", "--model", run, "--beam", "2", "--nbest", "2", "bad", "cafe");
        Assert.True(predict.Code == 0, predict.Error);
        var lines = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("BAD\t", lines[0]);
        Assert.StartsWith("CAFE\t", lines[2]);

        var predictTwice = Run("predict", "--model", run, "--model", run, "--beam", "2", "--nbest", "2", "bad", "cafe");
        Assert.True(predictTwice.Code == 0, predictTwice.Error);
        Assert.Equal(lines.Select(l => l.Split('\t')[1]), predictTwice.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[1]));

        var png = Path.Combine(dir, "map.png");
        var attend = Run("attend", "--model", run, "--out", png, "cab");
        Assert.True(attend.Code == 0, attend.Error);
        Assert.True(new FileInfo(png).Length > 1000);
        var html = File.ReadAllText(Path.ChangeExtension(png, ".html"));
        Assert.Contains("layer 1 head 2", html);
        Assert.Contains("&lt;eos&gt;", html);

        var again = Run("train", "g2p", "--preset", "tiny", "--data", dict, "--out", run, "--max-steps", "6");
        Assert.Equal(1, again.Code);
        Assert.Contains("--resume", again.Error);

        var resumed = Run("train", "g2p", "--data", dict, "--out", run, "--resume", "--max-steps", "9", "--threads", "1");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        var steps = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Where(l => l.Contains("\"kind\":\"step\""))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToArray();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], steps);
    }

    [Fact]
    public void Recipe_options_weight_average_and_learned_positions()
    {
        var dir = Directory.CreateTempSubdirectory("attn-cli-recipe").FullName;
        var dict = WriteDictionary(dir);
        var run = Path.Combine(dir, "run");
        var config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, "{\"ema_decay\": 0.9, \"positions\": \"learned\", \"scale_embeddings\": false, \"epochs\": 1}");

        var train = Run("train", "g2p", "--preset", "tiny", "--config", config, "--data", dict, "--out", run, "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        var eval = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("kind").GetString() == "eval");
        Assert.InRange(eval.GetProperty("dev_wer").GetDouble(), 0, 1);
        Assert.InRange(eval.GetProperty("raw_dev_wer").GetDouble(), 0, 1);
        using (var recipe = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "recipe.json"))))
        {
            Assert.Equal("learned", recipe.RootElement.GetProperty("positions").GetString());
            Assert.Equal(0.9, recipe.RootElement.GetProperty("ema_decay").GetDouble());
        }
        var predict = Run("predict", "--model", run, "bad");
        Assert.True(predict.Code == 0, predict.Error);
        Assert.StartsWith("BAD\t", predict.Output);

        File.WriteAllText(config, "{\"ema_decay\": 0.5}");
        var changed = Run("train", "g2p", "--config", config, "--data", dict, "--out", run, "--resume", "--epochs", "2", "--threads", "1");
        Assert.Equal(1, changed.Code);
        Assert.Contains("ema_decay 0.5 differs from the 0.9", changed.Error);

        File.WriteAllText(config, "{\"positions\": \"rotary\"}");
        var invalid = Run("train", "g2p", "--config", config, "--data", dict, "--out", Path.Combine(dir, "r2"));
        Assert.Equal(1, invalid.Code);
        Assert.Contains("positions = 'rotary'", invalid.Error);
        File.WriteAllText(config, "{\"ema_decay\": 1.5}");
        invalid = Run("train", "g2p", "--config", config, "--data", dict, "--out", Path.Combine(dir, "r3"));
        Assert.Equal(1, invalid.Code);
        Assert.Contains("ema_decay = 1.5", invalid.Error);
    }

    /// <summary>Two replicas on two threads must train exactly as the same micro-batches accumulated on one thread.</summary>
    [Fact]
    public void Replicas_run_the_micro_batches_at_once_with_the_same_result()
    {
        var dir = Directory.CreateTempSubdirectory("attn-cli-replicas").FullName;
        var dict = WriteDictionary(dir);
        var config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, "{\"replicas\": 2, \"epochs\": 1}");
        double[] Losses(string threads)
        {
            var run = Path.Combine(dir, "run" + threads);
            var train = Run("train", "g2p", "--preset", "tiny", "--config", config, "--data", dict, "--out", run, "--threads", threads);
            Assert.True(train.Code == 0, train.Error + train.Output);
            Assert.Equal(threads == "2", train.Output.Contains("data parallel: 2 replicas × 8 pronunciations per step"));
            return [.. File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.GetProperty("kind").GetString() == "step").Select(e => e.GetProperty("loss").GetDouble())];
        }
        var parallel = Losses("2");
        Assert.Equal(17, parallel.Length);   // 270-odd pronunciations in batches of 16
        Assert.Equal(Losses("1"), parallel);

        File.WriteAllText(config, "{\"replicas\": 1}");
        // Resuming the two-thread run (folder run2) with another replica count changes its batches: refused.
        var changed = Run("train", "g2p", "--config", config, "--data", dict, "--out", Path.Combine(dir, "run2"), "--resume", "--epochs", "2");
        Assert.Equal(1, changed.Code);
        Assert.Contains("replicas 1 differs from the 2", changed.Error);
        // A run saved before the replicas key existed resumes as the one model it was (not the presets' 2 replicas).
        var old = Path.Combine(dir, "old");
        File.WriteAllText(config, "{\"replicas\": 1, \"epochs\": 1}");
        Assert.Equal(0, Run("train", "g2p", "--preset", "tiny", "--config", config, "--data", dict, "--out", old, "--threads", "2").Code);
        var saved = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(old, "recipe.json")))!.AsObject();
        Assert.True(saved.Remove("replicas"));
        File.WriteAllText(Path.Combine(old, "recipe.json"), saved.ToJsonString());
        var resumed = Run("train", "g2p", "--data", dict, "--out", old, "--resume", "--epochs", "2", "--threads", "2");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.DoesNotContain("data parallel", resumed.Output);

        File.WriteAllText(config, "{\"replicas\": 3}");
        var invalid = Run("train", "g2p", "--preset", "tiny", "--config", config, "--data", dict, "--out", Path.Combine(dir, "r3"));
        Assert.Equal(1, invalid.Code);
        Assert.Contains("replicas = 3 must divide batch_size = 16", invalid.Error);
    }

    [Fact]
    public void User_errors_exit_1_with_one_clear_message()
    {
        var dir = Directory.CreateTempSubdirectory("attn-cli-errors").FullName;
        var bad = Path.Combine(dir, "bad.txt");
        File.WriteAllLines(bad, ["HELLO  HH AH0 L OW1", "WORLD"]);

        var malformed = Run("train", "g2p", "--preset", "tiny", "--data", bad, "--out", Path.Combine(dir, "r"));
        Assert.Equal(1, malformed.Code);
        Assert.Contains($"{bad}: line 2", malformed.Error);
        Assert.DoesNotContain("   at ", malformed.Error);

        var missing = Run("predict", "--model", Path.Combine(dir, "nothing"), "word");
        Assert.Equal(1, missing.Code);
        Assert.Contains("does not exist", missing.Error);

        var noData = Run("train", "g2p", "--data", Path.Combine(dir, "absent.txt"));
        Assert.Equal(1, noData.Code);
        Assert.Contains("--data", noData.Error);

        var config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, "{\"epoch\": 3}");
        var unknownKey = Run("train", "g2p", "--config", config, "--data", bad);
        Assert.Equal(1, unknownKey.Code);
        Assert.Contains("epoch", unknownKey.Error);

        File.WriteAllText(config, "{\"num_heads\": 5}");
        var invalid = Run("train", "g2p", "--config", config, "--data", bad);
        Assert.Equal(1, invalid.Code);
        Assert.Contains("num_heads = 5", invalid.Error);

        var flag = Run("train", "g2p", "--no-such-flag");
        Assert.Equal(2, flag.Code);
        Assert.Contains("--no-such-flag", flag.Error);

        Assert.Equal(2, Run("train", "speech").Code);

        var part = Run("eval", "g2p", "--model", Path.Combine(dir, "r"), "--part", "validation");
        Assert.Equal(2, part.Code);
        Assert.Contains("validation", part.Error);

        // No cached copy and no npm on PATH: say what to do instead of failing inside Process.Start.
        string? path = Environment.GetEnvironmentVariable("PATH"), cache = Environment.GetEnvironmentVariable("SHARPATTENTION_CACHE");
        try
        {
            Environment.SetEnvironmentVariable("SHARPATTENTION_CACHE", Path.Combine(dir, "empty-cache"));
            Environment.SetEnvironmentVariable("PATH", Path.Combine(dir, "no-tools"));
            var noNpm = Run("data", "g2p");
            Assert.Equal(1, noNpm.Code);
            Assert.Contains("npm is not installed", noNpm.Error);
            Assert.Contains("--data", noNpm.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
            Environment.SetEnvironmentVariable("SHARPATTENTION_CACHE", cache);
        }
        Assert.Equal(0, Run("predict", "--help").Code);
    }
}
