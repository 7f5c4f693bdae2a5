using System.Text.Json;
using SharpAttention.Tasks.LanguageModeling;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn train lm`, `eval lm`, `generate` and `attend` end to end on a tiny corpus of counting sentences ("one two
/// three … ten ." in paragraphs): the tiny preset must learn the sequence well enough that greedy generation continues
/// it, eval must reproduce the perplexity results.json holds, and a stopped run must resume to the weights of an
/// uninterrupted one.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class LmCliTests : IDisposable
{
    static readonly string[] Numbers = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    readonly string dir = Directory.CreateTempSubdirectory("attn-lm").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static (int Code, string Output, string Error) Run(params string[] args) => CliRun.Run("", args);

    /// <summary>Paragraphs of 1–3 lines, each line counting from a random number up to ten.</summary>
    string WriteCorpus(string name, int paragraphs, int seed)
    {
        var random = new Random(seed);
        var text = new List<string>();
        for (int p = 0; p < paragraphs; p++)
        {
            for (int l = random.Next(1, 4); l > 0; l--) text.Add(string.Join(' ', Numbers.Skip(random.Next(6))) + " .");
            text.Add("");
        }
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, text);
        return path;
    }

    static JsonElement Results(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement;

    [Fact]
    public void Trains_evaluates_generates_and_attends_on_a_tiny_corpus()
    {
        var data = WriteCorpus("counting.txt", 150, seed: 4);
        var run = Path.Combine(dir, "run");
        var train = Run("train", "lm", "--preset", "tiny", "--data", data, "--out", run, "--threads", "1", "--epochs", "25");
        Assert.True(train.Code == 0, train.Error + train.Output);
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer_config.json", "vocab.json", "merges.txt", "recipe.json", "loss.png",
                                     "metrics.jsonl", "data/train.tokens", "data/valid.tokens", "data/test.tokens" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Contains("valid_perplexity", train.Output);
        var results = Results(run);
        double test = results.GetProperty("test").GetProperty("perplexity").GetDouble();
        Assert.InRange(test, 1.0, 3.0);   // the sequence is nearly deterministic once it has started
        Assert.Equal(3, results.GetProperty("samples").GetArrayLength());

        // eval lm on the test part written out again gives the perplexity results.json holds (same windows).
        var eval = Run("eval", "lm", "--model", run, "--data", data, "--stride", "16", "--json");
        Assert.True(eval.Code == 0, eval.Error);
        var scores = JsonDocument.Parse(eval.Output).RootElement;
        Assert.InRange(scores.GetProperty("perplexity").GetDouble(), 1.0, 3.0);
        Assert.True(scores.GetProperty("bits_per_byte").GetDouble() > 0);
        var lm = LanguageModel.Load(run);
        var direct = lm.Perplexity(TextDocuments.Read([data], DocumentSplit.BlankLine), stride: 16);
        Assert.Equal(direct.Perplexity, scores.GetProperty("perplexity").GetDouble(), 2);

        // Greedy generation continues the count and stops at the end of the line's document or the token limit.
        var greedy = Run("generate", "--model", run, "--prompt", "four five", "--greedy", "--max-tokens", "12");
        Assert.True(greedy.Code == 0, greedy.Error);
        Assert.StartsWith("four five six seven eight", greedy.Output);

        var sampled = Run("generate", "--model", run, "--prompt", "two", "--temperature", "0.7", "--top-k", "5", "--top-p", "0.9", "--seed", "3",
            "--num-samples", "2", "--repetition-penalty", "1.1", "--max-tokens", "8");
        Assert.True(sampled.Code == 0, sampled.Error);
        Assert.Contains("--- sample 2 ---", sampled.Output);
        Assert.Equal(sampled.Output, Run("generate", "--model", run, "--prompt", "two", "--temperature", "0.7", "--top-k", "5", "--top-p", "0.9",
            "--seed", "3", "--num-samples", "2", "--repetition-penalty", "1.1", "--max-tokens", "8").Output);
        var beam = Run("generate", "--model", run, "--prompt", "six", "--beam", "3", "--max-tokens", "6");
        Assert.True(beam.Code == 0, beam.Error);
        Assert.StartsWith("six seven", beam.Output);
        Assert.Equal(string.Concat(lm.Generate("seven", new GenerationOptions { DoSample = false, MaxNewTokens = 5 })),
            string.Concat(lm.GenerateStreamingAsync("seven", new GenerationOptions { DoSample = false, MaxNewTokens = 5 }).ToBlockingEnumerable()));

        var html = Path.Combine(dir, "attention.html");
        var attend = Run("attend", "--model", run, "one two three", "--out", html);
        Assert.True(attend.Code == 0, attend.Error);
        Assert.Contains("layer 1 head 2", File.ReadAllText(html));

        CliRun.Fails(Run("generate", "--model", run, "--greedy", "--temperature", "0.5"), 2, "--temperature");
        CliRun.Fails(Run("generate", "--model", run, "--top-p", "1.5"), 2, "--top-p");
        CliRun.Fails(Run("generate", "--model", dir), 1, "holds no language model");
        CliRun.Fails(Run("eval", "lm", "--model", run, "--data", data, "--stride", "33"), 2, "--stride");
        CliRun.Fails(Run("eval", "lm", "--model", run), 2, "--data is required");
        CliRun.Fails(Run("predict", "--model", run, "one"), 2, "attn generate");
    }

    [Fact]
    public void A_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one()
    {
        var data = WriteCorpus("resume.txt", 60, seed: 9);
        var straight = Path.Combine(dir, "straight");
        var stopped = Path.Combine(dir, "stopped");
        string[] common = ["train", "lm", "--preset", "tiny", "--epochs", "3", "--data", data, "--threads", "1"];
        Assert.Equal(0, Run([.. common, "--out", straight]).Code);
        Assert.Equal(0, Run([.. common, "--out", stopped, "--max-steps", "5"]).Code);
        CliRun.Fails(Run([.. common, "--out", stopped]), 1, "--resume");
        CliRun.Fails(Run([.. common, "--out", stopped, "--resume", "--context", "16"]), 1, "only the schedule");
        var resumed = Run([.. common, "--out", stopped, "--resume", "--max-steps", "1000"]);
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Contains("resuming", resumed.Output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(stopped, "model.safetensors")));
        Assert.Equal(Results(straight).GetProperty("test").GetProperty("perplexity").GetDouble(),
            Results(stopped).GetProperty("test").GetProperty("perplexity").GetDouble());
    }

    [Fact]
    public void Bad_data_is_named()
    {
        var one = Path.Combine(dir, "one.txt");
        File.WriteAllText(one, "just one paragraph\n");
        CliRun.Fails(Run("train", "lm", "--preset", "tiny", "--data", one, "--out", Path.Combine(dir, "a")), 1, one, "cannot be split");
        CliRun.Fails(Run("train", "lm", "--preset", "tiny", "--data", Path.Combine(dir, "missing.txt"), "--out", Path.Combine(dir, "b")), 1, "--data", "does not exist");
        CliRun.Fails(Run("train", "lm", "--preset", "tiny", "--out", Path.Combine(dir, "c")), 2, "--data is required");
        CliRun.Fails(Run("train", "lm", "--recipe", "brown-lm", "--valid", one, "--out", Path.Combine(dir, "d")), 2, "brings its own split");
    }
}
