using SharpAttention.Tests.Support;
using SharpAttention.Cli;
using SharpAttention.Cli.Contract;
using SharpAttention.Tasks.G2p;
using SharpAttention.Tests.Kernels;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// The `attn` error contract (issue 18, "What failed"), one test per class of failure: every failure is exactly one
/// line on stderr naming the input, exit code 1 (2 for a malformed command line), and no stack trace.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed partial class CliContractTests(TrainedTinyModel tiny) : IClassFixture<TrainedTinyModel>
{
    static (int Code, string Output, string Error) Run(string stdin, params string[] args) => CliRun.Run(stdin, args);

    /// <summary>The contract: the exit code, one line starting "attn: error:" holding <paramref name="names"/>, no stack trace.</summary>
    static void Fails((int Code, string Output, string Error) result, int code, params string[] names) => CliRun.Fails(result, code, names);

    string Config(string name, string json)
    {
        var path = Path.Combine(tiny.Folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    (int Code, string Output, string Error) Train(string config, params string[] more) =>
        Run("", ["train", "g2p", "--preset", "tiny", "--data", tiny.Dictionary, "--out", Path.Combine(tiny.Folder, "run-" + Guid.NewGuid().ToString("N")),
                 "--config", config, "--threads", "1", .. more]);

    [Fact]
    public void Unchecked_numbers_are_refused_with_their_range_before_any_work()
    {
        Fails(Run("", "predict", "--model", tiny.Model, "--threads", "257", "bad"), 2, "--threads", $"1..{CliApp.ThreadRange.Max}", "257");
        Fails(Run("", "--threads", "100000", "predict", "--model", tiny.Model, "bad"), 2, "--threads", "100000");
        Fails(Run("", "predict", "--model", tiny.Model, "--beam", "100000", "bad"), 2, "--beam must lie in 1..256, got 100000");
        Fails(Run("", "predict", "--model", tiny.Model, "--beam", "0", "bad"), 2, "--beam must lie in 1..256, got 0");
        Fails(Run("", "predict", "--model", tiny.Model, "--nbest", "3", "--beam", "2", "bad"), 2, "--nbest must lie in 1..2");
        Fails(Run("", "train", "g2p", "--epochs", "-1"), 2, "--epochs must lie in 1..100,000, got -1");
        Fails(Run("", "train", "g2p", "--max-steps", "99999999999999999999999"), 2, "--max-steps must lie in");

        Fails(Train(Config("m.json", "{\n  \"epochs\": 1,\n  \"max_len\": 2000000000\n}")), 1, "m.json:3:", "max_len = 2000000000 must lie in 8..4096");
        Fails(Train(Config("d.json", "{\"d_model\": 2000000000}")), 1, "d.json:1:", "d_model", "1..4096");
        Fails(Train(Config("f.json", "{\"dim_feedforward\": 2000000000}")), 1, "dim_feedforward", "1..65,536");
        Fails(Train(Config("l.json", "{\"num_encoder_layers\": 100000}")), 1, "num_encoder_layers = 100000 must lie in 1..64");
        Fails(Train(Config("b.json", "{\"beam_width\": 100000}")), 1, "beam_width = 100000 must lie in 1..256");
        Fails(Train(Config("p.json", "{\"dropout\": 1}")), 1, "dropout = 1 must lie in [0, 1)");
        Fails(Train(Config("h.json", "{\n\"d_model\": 31}")), 1, "h.json:2:", "num_heads = 2 must divide d_model = 31");
    }

    [Fact]
    public void Memory_heavy_settings_are_refused_with_the_estimate()
    {
        Fails(Train(Config("big.json", "{\"d_model\": 4096, \"num_encoder_layers\": 64, \"num_decoder_layers\": 64, \"dim_feedforward\": 65536}")), 1,
              "training this recipe needs about", "TB", "of memory available", "lower d_model");
        try
        {
            // A machine with 1 MB: the tiny model's weights alone are more (about 90 KB of floats, and the beam's caches).
            MemoryBudget.LimitOverride = 100_000;
            Fails(Run("", "predict", "--model", tiny.Model, "--beam", "256", "bad"), 1, "decoding with beam 256 needs about", "lower --beam");
        }
        finally
        {
            MemoryBudget.LimitOverride = null;
        }
    }

    [Fact]
    public void A_diverging_loss_is_one_line()
    {
        Fails(Train(Config("lr.json", "{\"learning_rate\": 1e300}")), 1, "the loss is NaN at step");
    }

    [Fact]
    public void Paths_that_cannot_be_written_or_read_are_one_line()
    {
        Fails(Run("", "train", "g2p", "--preset", "tiny", "--data", tiny.Dictionary, "--out", tiny.Dictionary), 1, "--out", "is a file");
        // Below a file: no folder can be made there (root may write anywhere else, so this is the portable unwritable place).
        Fails(Run("", "train", "g2p", "--preset", "tiny", "--data", tiny.Dictionary, "--out", Path.Combine(tiny.Dictionary, "sub")), 1, "--out", "cannot write there");
        Fails(Run("", "attend", "--model", tiny.Model, "--out", tiny.Folder, "bad"), 1, "--out", "is a folder");
        Fails(Run("", "attend", "--model", tiny.Model, "--out", Path.Combine(tiny.Folder, "no", "map.png"), "bad"), 1, "--out", "does not exist");
        Fails(Run("", "train", "g2p", "--data", Path.Combine(tiny.Folder, "absent.txt")), 1, "--data", "absent.txt");
        Fails(Run("", "eval", "g2p", "--model", tiny.Model, "--data", Path.Combine(tiny.Folder, "absent.txt")), 1, "--data");
        Fails(Run("", "predict", "--model", Path.Combine(tiny.Folder, "absent"), "bad"), 1, "--model", "does not exist");
    }

    /// <summary>The library's reader names what is wrong with a model file; the CLI passes it on as one line.</summary>
    [Fact]
    public void Malformed_model_files_are_one_line()
    {
        var weights = File.ReadAllBytes(Path.Combine(tiny.Model, "model.safetensors"));
        var broken = Path.Combine(tiny.Folder, "broken-model");
        Directory.CreateDirectory(broken);
        foreach (var file in Directory.GetFiles(tiny.Model, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(broken, Path.GetRelativePath(tiny.Model, file));   // the tokenizer sub-folders too
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }
        var target = Path.Combine(broken, "model.safetensors");
        byte[] huge = [.. weights];
        BitConverter.GetBytes(1UL << 63).CopyTo(huge, 0);
        foreach (var bytes in new[] { [], weights[..4], weights[..8], weights[..200], weights[..^10], huge, [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7919))] })
        {
            File.WriteAllBytes(target, bytes);
            Fails(Run("", "predict", "--model", broken, "bad"), 1, "model.safetensors");
        }
        File.WriteAllBytes(target, weights);
        File.WriteAllText(Path.Combine(broken, "target_tokenizer", "vocab.json"), "");
        Fails(Run("", "predict", "--model", broken, "bad"), 1, Path.Combine("target_tokenizer", "vocab.json"));
    }

    [Fact]
    public void Data_longer_than_max_len_fails_with_file_and_line_before_training()
    {
        var dict = Path.Combine(tiny.Folder, "long.txt");
        string word = string.Concat(Enumerable.Repeat("ABCDEFGH", 9));   // 72 letters: more than the tiny model's max_len 64 allows
        File.WriteAllLines(dict, [.. File.ReadLines(tiny.Dictionary).Take(40), word + "  AA1 B K D", "HHH  HH HH HH HH HH HH HH HH"]);
        var train = Run("", "train", "g2p", "--preset", "tiny", "--data", dict, "--out", Path.Combine(tiny.Folder, "long-run"),
                        "--config", Config("ml.json", "{\"max_len\": 9}"));
        Fails(train, 1, $"{dict}:41:", "has 72 letters; max_len 9 allows 8");
        Assert.False(File.Exists(Path.Combine(tiny.Folder, "long-run", "model.safetensors")));   // refused before any training
        File.WriteAllLines(dict, [.. File.ReadLines(tiny.Dictionary).Take(40), "HHH  HH HH HH HH HH HH HH HH HH"]);
        Fails(Run("", "train", "g2p", "--preset", "tiny", "--data", dict, "--out", Path.Combine(tiny.Folder, "long-run"), "--config", Config("ml.json", "{\"max_len\": 9}")),
              1, $"{dict}:41:", "the pronunciation of 'HHH' has 9 phonemes; max_len 9 allows 8");
        File.WriteAllLines(dict, [.. File.ReadLines(tiny.Dictionary).Take(40), word + "  AA1 B K D"]);
        Fails(Run("", "eval", "g2p", "--model", tiny.Model, "--data", dict), 1, $"{dict}:41:", "has 72 letters; max_len 64 allows 63");
        // Bytes that are not UTF-8 make the file Latin-1; a word of control characters is binary junk, named by line.
        File.WriteAllLines(dict, File.ReadLines(tiny.Dictionary).Take(40), System.Text.Encoding.Latin1);
        File.AppendAllText(dict, "AB\u00ff\u0001C  AA1 B K\n", System.Text.Encoding.Latin1);
        Fails(Run("", "eval", "g2p", "--model", tiny.Model, "--data", dict), 1, $"{dict}:41:", "'AB\u00ff\\u0001C' holds control characters");
    }

    [Fact]
    public void Lost_characters_in_the_dictionary_are_skipped_and_counted()
    {
        var dict = Path.Combine(tiny.Folder, "fffd.txt");
        File.WriteAllLines(dict, [.. File.ReadLines(tiny.Dictionary), "D\uFFFDJ\uFFFD  D EY2 JH AA1"]);
        var data = Run("", "data", "g2p", "--data", dict);
        Assert.Equal(0, data.Code);
        Assert.Contains("skipped 1 entry whose spelling holds U+FFFD (lost characters), line 301", data.Output);
        var split = G2pData.LoadSplit(dict);
        Assert.DoesNotContain(split.Train.Concat(split.Dev).Concat(split.Test), e => e.Word.Any(c => c is 'Ã' or '¿' or '½' or 'ï' or '\uFFFD'));
        // The protocol's split (sorted words, index mod 20) with the lost entry in place, then left out: the E…H words
        // after it keep the parts they had when it was read as Latin-1 mojibake.
        var sorted = File.ReadLines(dict).Select(l => l.Split("  ")[0]).Order(StringComparer.Ordinal).ToArray();
        string[] Part(int remainder) => [.. sorted.Where((w, i) => (remainder < 2 ? i % 20 == remainder : i % 20 >= 2) && !w.Contains('\uFFFD'))];
        Assert.Equal(Part(0), split.Test.Select(e => e.Word));
        Assert.Equal(Part(1), split.Dev.Select(e => e.Word));
        Assert.Equal(Part(2), split.Train.Select(e => e.Word));
    }

    [Fact]
    public void Unknown_characters_are_named_unless_asked_to_skip_or_read_as_unk()
    {
        Fails(Run("", "predict", "--model", tiny.Model, "café"), 1, "'café'", "'É' (U+00C9)", "--unknown");
        Fails(Run("", "predict", "--model", tiny.Model, "日本語"), 1, "U+65E5");
        Fails(Run("", "attend", "--model", tiny.Model, "--out", Path.Combine(tiny.Folder, "m.png"), "bé"), 1, "U+00C9");
        var skip = Run("", "predict", "--model", tiny.Model, "--unknown", "skip", "cabé");
        Assert.True(skip.Code == 0, skip.Error);
        Assert.StartsWith("CAB\t", skip.Output);
        var unk = Run("", "predict", "--model", tiny.Model, "--unknown", "unk", "cabé");
        Assert.True(unk.Code == 0, unk.Error);
        Assert.StartsWith("CABÉ\t", unk.Output);
        Fails(Run("", "predict", "--model", tiny.Model, "--unknown", "skip", "ééé"), 1, "no character the model knows");
        // eval scores the protocol's words as they are, but says which letters it reads as <unk>.
        var dict = Path.Combine(tiny.Folder, "accents.txt");
        File.WriteAllLines(dict, [.. File.ReadLines(tiny.Dictionary), "ZÉB  Z EY1 B"], System.Text.Encoding.Latin1);   // as CmuDict.Load reads it
        var split = SharpAttention.Data.Datasets.CmuDict.Split(SharpAttention.Data.Datasets.CmuDict.Load(dict));
        string part = split.Test.Any(e => e.Word == "ZÉB") ? "test" : split.Dev.Any(e => e.Word == "ZÉB") ? "dev" : "train";
        var eval = Run("", "eval", "g2p", "--model", tiny.Model, "--data", dict, "--part", part, "--beam", "1");
        Assert.True(eval.Code == 0, eval.Error);
        Assert.Contains($"1 {part} word(s) hold characters the model never saw, read as <unk>: 'Z' (U+005A), 'É' (U+00C9)", eval.Output);

        Fails(Run("", "predict", "--model", tiny.Model, "--unknown", "ignore", "bad"), 2, "--unknown must be one of error, skip, unk");
    }

    [Fact]
    public void Nothing_passes_silently()
    {
        Fails(Run("", "predict", "--model", tiny.Model, "--frob", "bad"), 2, "unknown option '--frob'", "after '--'", "attn predict --help");
        Fails(Run("", "predict", "--model", tiny.Model, "-x"), 2, "unknown option '-x'");
        // After --, a word that starts with '-' is a word: here one with a letter the model lacks, named as such.
        Fails(Run("", "predict", "--model", tiny.Model, "--", "-bad"), 1, "'-bad'", "U+002D");
        Fails(Run("", "predict", "--model", tiny.Model, ""), 2, "word 1 is empty");
        Fails(Run("", "predict", "--model", tiny.Model), 2, "no words", "stdin was empty");
        Fails(Run("\n  \n", "predict", "--model", tiny.Model), 2, "no words");
        var piped = Run("bad\n\ncab\n", "predict", "--model", tiny.Model);
        Assert.True(piped.Code == 0, piped.Error);
        Assert.Equal(2, piped.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Decoding_without_a_hypothesis_says_why()
    {
        var broken = Path.Combine(tiny.Folder, "nan-model");
        var model = G2pModel.Load(tiny.Model);
        foreach (var p in model.Network.Parameters()) p.Span<float>().Fill(float.NaN);
        model.Save(broken);
        var result = Run("", "predict", "--model", broken, "bad");
        Fails(result, 1);
        Assert.Contains("finite", result.Error);
        Assert.Equal("", result.Output);
        // eval and attend decode the same way (they crashed with an index error).
        Fails(Run("", "eval", "g2p", "--model", broken, "--data", tiny.Dictionary), 1, "finite");
        Fails(Run("", "attend", "--model", broken, "--out", Path.Combine(tiny.Folder, "nan.png"), "bad"), 1, "finite");
    }

    [Fact]
    public void Messages_are_one_short_line_naming_the_input()
    {
        // A parse error: one line and a pointer to --help, not 16 lines of help.
        var parse = Run("", "train", "g2p", "--no-such-flag");
        Fails(parse, 2, "'--no-such-flag'", "see `attn train g2p --help`");
        // A type error names the flag and the value in words, never a CLR type.
        var type = Run("", "predict", "--model", tiny.Model, "--beam", "x", "bad");
        Fails(type, 2, "--beam expects a whole number, got 'x'");
        Assert.DoesNotContain("System.", type.Error);
        Fails(Run("", "train", "g2p", "--resume=maybe"), 2, "'maybe'");
        // Config errors give the line in the user's file.
        Fails(Train(Config("typo.json", "{\n  \"epochs\": 1,\n\n  \"learning_rat\": 0.1\n}")), 1, "typo.json:4:", "unknown key 'learning_rat'", "did you mean 'learning_rate'?");
        Fails(Train(Config("kind.json", "{\n\"dropout\": \"high\"}")), 1, "kind.json:2:", "dropout expects a number, got \"high\"");
        Fails(Train(Config("twice.json", "{\"epochs\": 1,\n\"epochs\": 2}")), 1, "twice.json:2:", "given twice (first on line 1)");
        Fails(Train(Config("syntax.json", "{\n\"epochs\": 1,,\n}")), 1, "syntax.json:2:", "not valid JSON");
        Fails(Train(Config("array.json", "[1, 2]")), 1, "array.json:1:", "expected a JSON object");
        Fails(Train(Config("empty.json", "")), 1, "empty.json is empty");
        // A corrupt recipe.json in a model folder is named as that file.
        var corrupt = Path.Combine(tiny.Folder, "corrupt-model");
        Directory.CreateDirectory(corrupt);
        foreach (var file in Directory.GetFiles(tiny.Model)) File.Copy(file, Path.Combine(corrupt, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(corrupt, "recipe.json"), "{\n  \"d_model\": 32,\n  \"num_heads\": \"two\"\n}");
        Fails(Run("", "predict", "--model", corrupt, "bad"), 1, Path.Combine(corrupt, "recipe.json") + ":3:", "num_heads expects a whole number");
        // A 10,000-character word is shortened, binary bytes are escaped.
        var longWord = Run("", "predict", "--model", tiny.Model, new string('é', 10_000));
        Fails(longWord, 1, "…");
        Assert.True(longWord.Error.Length < 400, $"{longWord.Error.Length} characters");
        var binary = Run("", "predict", "--model", tiny.Model, "a\u0001\u001b[31mb\u202e");
        Fails(binary, 1, "\\u0001", "\\u001B", "\\u202E");
        Assert.DoesNotContain('\u001b', binary.Error);
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_and_unexpected_errors_point_to_it()
    {
        var verbose = Run("", "predict", "--verbose", "--model", Path.Combine(tiny.Folder, "absent"), "bad");
        Assert.Equal(1, verbose.Code);
        Assert.StartsWith("attn: error: --model", verbose.Error);
        Assert.Contains("   at ", verbose.Error);

        var error = new StringWriter();
        int code = ErrorReport.Write(error, new InvalidOperationException("index out of range\nsecond line"), verbose: false);
        Assert.Equal(1, code);
        Assert.Equal("attn: error: index out of range; second line (unexpected InvalidOperationException); run with --verbose for details",
                     error.ToString().TrimEnd());
        Assert.Equal(1, ErrorReport.Describe(new AggregateException(new IOException("disk full"))).ExitCode);
        Assert.True(ErrorReport.Describe(new AggregateException(new IOException("disk full"))).Expected);
        Assert.True(ErrorReport.Describe(new OutOfMemoryException()).Expected);
    }
}
