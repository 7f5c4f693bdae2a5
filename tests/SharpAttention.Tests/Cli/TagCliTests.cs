using System.Text.Json;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn train|eval|predict|attend` on sequence tagging, end to end on a synthetic grammar (det noun verb det noun) in
/// which "run" is a noun after a determiner and a verb after a noun: the tiny preset must learn the grammar exactly —
/// context included — tag new sentences in every output format, draw its attention, and resume to the same weights as
/// an uninterrupted run.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class TagCliTests : IDisposable
{
    static readonly string[] Determiners = ["the", "a"], Nouns = ["dog", "cat", "park", "run"], Verbs = ["sees", "likes", "run"];

    readonly string dir = Directory.CreateTempSubdirectory("attn-tag").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static (int Code, string Output, string Error) Run(string stdin, params string[] args) => CliRun.Run(stdin, args);

    /// <summary>Sentences of the grammar as CoNLL columns (word, a dummy column, tag) or as JSON Lines.</summary>
    string WriteGrammar(string name, int count, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string Pick(string[] words) => words[random.Next(words.Length)];
            (string Word, string Tag)[] sentence = [(Pick(Determiners), "at"), (Pick(Nouns), "nn"), (Pick(Verbs), "vb"), (Pick(Determiners), "at"), (Pick(Nouns), "nn")];
            if (name.EndsWith(".jsonl", StringComparison.Ordinal))
                lines.Add(JsonSerializer.Serialize(new { tokens = sentence.Select(p => p.Word), tags = sentence.Select(p => p.Tag) }));
            else
            {
                lines.AddRange(sentence.Select(p => $"{p.Word} x {p.Tag}"));
                lines.Add("");
            }
        }
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    static JsonElement Results(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))).RootElement;

    [Fact]
    public void Grammar_trains_to_100_percent_predicts_in_every_format_and_attends()
    {
        var data = WriteGrammar("grammar.conll", 300, seed: 7);
        var run = Path.Combine(dir, "run");
        var train = Run("", "train", "tag", "--preset", "tiny", "--data", data, "--tag-column", "2", "--out", run, "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Equal(1.0, Results(run).GetProperty("test").GetProperty("accuracy").GetDouble());
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer_config.json", "vocab.json", "merges.txt", "recipe.json", "training_words.txt", "loss.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);

        // "run" after a determiner is a noun, after a noun a verb: the tags come from context, not from the word.
        var predict = Run("", "predict", "--model", run, "the run run a run", "a cat sees the park");
        Assert.True(predict.Code == 0, predict.Error);
        Assert.Equal(["the/at run/nn run/vb a/at run/nn", "a/at cat/nn sees/vb the/at park/nn"], predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var conll = Run("a dog run the cat\n", "predict", "--model", run, "--format", "conll");
        Assert.True(conll.Code == 0, conll.Error);
        Assert.Equal("a\tat\ndog\tnn\nrun\tvb\nthe\tat\ncat\tnn\n\n", conll.Output.ReplaceLineEndings("\n"));

        var json = Run("{\"tokens\": [\"the\", \"dog\", \"likes\", \"a\", \"run\"]}\nthe park sees a dog\n", "predict", "--model", run, "--format", "json");
        Assert.True(json.Code == 0, json.Error);
        var rows = json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["at", "nn", "vb", "at", "nn"], rows[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["the", "park", "sees", "a", "dog"], rows[1].GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));

        var html = Path.Combine(dir, "why.html");
        var attend = Run("", "attend", "--model", run, "the run run a run", "--out", html);
        Assert.True(attend.Code == 0, attend.Error);
        Assert.StartsWith("the/at run/nn run/vb a/at run/nn", attend.Output);
        Assert.Contains("data-map=\"0,1\"", File.ReadAllText(html));   // layer 1, head 2 of the tiny preset's 1 × 2
        Assert.True(new FileInfo(Path.ChangeExtension(html, ".png")).Length > 0);

        // Scored on a JSON Lines file: every word was seen in training, so there are no unseen words.
        var other = WriteGrammar("other.jsonl", 40, seed: 9);
        var eval = Run("", "eval", "tag", "--model", run, "--data", other, "--json");
        Assert.True(eval.Code == 0, eval.Error);
        var metrics = JsonDocument.Parse(eval.Output).RootElement;
        Assert.Equal(200, metrics.GetProperty("count").GetInt32());
        Assert.Equal(1.0, metrics.GetProperty("accuracy").GetDouble());
        Assert.Equal(0, metrics.GetProperty("unseen_count").GetInt32());
        var table = Run("", "eval", "tag", "--model", run, "--data", other);
        Assert.True(table.Code == 0, table.Error);
        Assert.Contains("200 words in 40 sentences", table.Output);
        Assert.Contains("100.00%", table.Output);

        CliRun.Fails(Run("", "predict", "--model", run, "--format", "xml", "a dog"), 2, "--format");
        CliRun.Fails(Run("", "predict", "--model", run, "--json", "a dog"), 2, "--json applies to classify models");
        CliRun.Fails(Run("{\"tokens\": []}\n", "predict", "--model", run), 2, "stdin:1:", "tokens");
        CliRun.Fails(Run("", "eval", "tag", "--model", run), 2, "--data is required");
        CliRun.Fails(Run("", "eval", "classify", "--model", run, "--data", data), 1, "--model", "classify");
        CliRun.Fails(Run("", "attend", "--model", run, "a dog", "--out", Path.Combine(dir, "why.txt")), 1, "--out", ".html");
    }

    [Fact]
    public void A_stopped_run_with_word_dropout_resumes_to_the_weights_of_an_uninterrupted_one()
    {
        var data = WriteGrammar("resume.conll", 120, seed: 3);
        var config = Path.Combine(dir, "dropout.json");
        File.WriteAllText(config, "{\"word_dropout\": 0.2}");
        var straight = Path.Combine(dir, "straight");
        var stopped = Path.Combine(dir, "stopped");
        string[] common = ["train", "tag", "--preset", "tiny", "--epochs", "3", "--data", data, "--tag-column", "-1", "--config", config, "--threads", "1"];
        Assert.Equal(0, Run("", [.. common, "--out", straight]).Code);
        Assert.Equal(0, Run("", [.. common, "--out", stopped, "--max-steps", "10"]).Code);
        CliRun.Fails(Run("", [.. common, "--out", stopped]), 1, "--resume");
        CliRun.Fails(Run("", [.. common, "--out", stopped, "--resume", "--seed", "5"]), 1, "--resume", "only the schedule");
        var resumed = Run("", [.. common, "--out", stopped, "--resume", "--max-steps", "1000"]);
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Contains("resuming", resumed.Output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(stopped, "model.safetensors")));
    }

    [Fact]
    public void Bio_tags_get_entity_scores_and_well_formed_predictions()
    {
        // A person is a capitalised first name and surname (B-PER I-PER); every lower-case word is O.
        string[] first = ["Anna", "Boris", "Clara", "David"], last = ["Smith", "Jones", "Brown", "Lee"], other = ["met", "saw", "today", "and", "then", "home"];
        var random = new Random(11);
        var lines = new List<string>();
        for (int i = 0; i < 200; i++)
        {
            var words = new List<string>();
            var tags = new List<string>();
            for (int k = 0; k < 5; k++)
                if (random.Next(3) == 0)
                {
                    words.AddRange([first[random.Next(4)], last[random.Next(4)]]);
                    tags.AddRange(["B-PER", "I-PER"]);
                }
                else
                {
                    words.Add(other[random.Next(other.Length)]);
                    tags.Add("O");
                }
            lines.Add(JsonSerializer.Serialize(new { tokens = words, tags }));
        }
        var data = Path.Combine(dir, "people.jsonl");
        File.WriteAllLines(data, lines);
        var run = Path.Combine(dir, "ner");
        var train = Run("", "train", "tag", "--preset", "tiny", "--data", data, "--out", run, "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Contains("entities (BIO, conlleval)", train.Output);
        var test = Results(run).GetProperty("test");
        Assert.Equal("BIO", test.GetProperty("scheme").GetString());
        Assert.True(test.GetProperty("span_f1").GetDouble() > 0.9, test.ToString());
        Assert.True(test.GetProperty("per_type").TryGetProperty("PER", out _));

        var predict = Run("", "predict", "--model", run, "Clara Lee met David Smith today");
        Assert.True(predict.Code == 0, predict.Error);
        Assert.Equal("Clara/B-PER Lee/I-PER met/O David/B-PER Smith/I-PER today/O", predict.Output.Trim());

        // Whatever the scores, constrained decoding never writes an I-PER that does not continue a person.
        var many = Run(string.Join("\n", lines.Take(100).Select(l => string.Join(' ', JsonDocument.Parse(l).RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString())))), "predict", "--model", run);
        Assert.True(many.Code == 0, many.Error);
        foreach (var line in many.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tags = line.Split(' ').Select(p => p[(p.LastIndexOf('/') + 1)..]).ToArray();
            for (int i = 0; i < tags.Length; i++)
                Assert.False(tags[i] == "I-PER" && (i == 0 || tags[i - 1] == "O"), line);
        }
    }

    [Fact]
    public void Bad_input_gets_one_line_naming_the_file_line_flag_or_key()
    {
        var bad = Path.Combine(dir, "bad.conll");
        File.WriteAllLines(bad, ["the at", "dog nn", "", "lonely", ""]);
        CliRun.Fails(Run("", "train", "tag", "--preset", "tiny", "--data", bad, "--out", Path.Combine(dir, "r1")), 1, "bad.conll:4");
        var good = WriteGrammar("good.conll", 20, seed: 1);
        CliRun.Fails(Run("", "train", "tag", "--preset", "tiny", "--data", good, "--token-column", "-2", "--out", Path.Combine(dir, "r2")), 2, "--token-column");
        CliRun.Fails(Run("", "train", "tag", "--preset", "tiny", "--data", Path.Combine(dir, "missing.conll"), "--out", Path.Combine(dir, "r3")), 1, "--data", "missing.conll");
        CliRun.Fails(Run("", "train", "tag", "--preset", "tiny", "--out", Path.Combine(dir, "r4")), 2, "--data is required");
        var config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, "{\n  \"word_dropout\": 1.5\n}");
        CliRun.Fails(Run("", "train", "tag", "--data", good, "--config", config, "--out", Path.Combine(dir, "r5")), 1, "word_dropout", "c.json");
        File.WriteAllText(config, "{\"positions\": \"spiral\"}");
        CliRun.Fails(Run("", "train", "tag", "--data", good, "--config", config, "--out", Path.Combine(dir, "r6")), 1, "positions");
        CliRun.Fails(Run("", "train", "tag", "--recipe", "brown-pos", "--valid", good, "--out", Path.Combine(dir, "r7")), 2, "--valid");
    }
}
