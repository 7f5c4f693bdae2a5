namespace SharpAttention.Tests.Cli;

/// <summary>
/// About a hundred hostile inputs of the kind issue 18 tried (flags, numbers, paths, config files, words): none may end
/// in a stack trace or exit 0; each must fail with exit 1 or 2 and one line on stderr. {model}, {dict} and {dir} stand
/// for the trained tiny model, its dictionary and a scratch folder; config cases give the file's text after "config:".
/// </summary>
public sealed partial class CliContractTests
{
    static readonly string[] Words = ["", " ", "\t", "café", "日本語", "🙂", "a b", "a\u0000b", "\u001b[2J", "\u202eabc", "\uFFFD", "Ǆ",
        new string('a', 64), new string('a', 10_000), "-", "--", "---x", "a\nb", "%s%n", "../../etc/passwd", "ÀÉÎÕÜ", "\ud800"];

    static readonly string[][] Commands =
    [
        ["predict"], ["predict", "bad"], ["predict", "--model"], ["predict", "--model", "{dir}", "bad"], ["predict", "--model", "{dict}", "bad"],
        ["predict", "--model", "{model}", "--beam"], ["predict", "--model", "{model}", "--beam", "-1", "bad"], ["predict", "--model", "{model}", "--beam", "1.5", "bad"],
        ["predict", "--model", "{model}", "--beam", "1e3", "bad"], ["predict", "--model", "{model}", "--beam", "NaN", "bad"], ["predict", "--model", "{model}", "--beam", "0x10", "bad"],
        ["predict", "--model", "{model}", "--beam", "2147483648", "bad"], ["predict", "--model", "{model}", "--beam", "257", "bad"], ["predict", "--model", "{model}", "--nbest", "0", "bad"],
        ["predict", "--model", "{model}", "--nbest", "-3", "bad"], ["predict", "--model", "{model}", "--nbest", "x", "bad"], ["predict", "--model", "{model}", "--threads", "0", "bad"],
        ["predict", "--model", "{model}", "--threads", "-1", "bad"], ["predict", "--model", "{model}", "--threads", "257", "bad"], ["predict", "--model", "{model}", "--threads", "one", "bad"],
        ["predict", "--model", "{model}", "--threads", "", "bad"], ["predict", "--model", "{model}", "--model", "{dir}", "bad"], ["predict", "--model", "", "bad"],
        ["eval"], ["eval", "g2p"], ["eval", "speech", "--model", "{model}"], ["eval", "g2p", "--model", "{model}", "--part", "valid"], ["eval", "g2p", "--model", "{model}", "--data", "{model}"],
        ["eval", "g2p", "--model", "{model}", "--data", "{dict}", "--beam", "0"], ["eval", "g2p", "--model", "{model}", "--data", "{dir}/absent.txt"],
        ["attend", "--model", "{model}", "bad"], ["attend", "--model", "{model}", "--out", "{dir}", "bad"], ["attend", "--model", "{model}", "--out", "{dir}/map.txt", "bad"],
        ["attend", "--model", "{model}", "--out", "{dir}/none/map.png", "bad"], ["attend", "--model", "{model}", "--out", "{dir}/m.png", ""], ["attend", "--model", "{model}", "--out", "{dir}/m.png", "a", "b"],
        ["attend", "--model", "{model}", "--out", "", "bad"], ["attend", "--out", "{dir}/m.png", "bad"],
        ["train"], ["train", "speech"], ["train", "g2p", "--preset", "huge"], ["train", "g2p", "--epochs", "0"], ["train", "g2p", "--epochs", "1e9"], ["train", "g2p", "--max-steps", "0"],
        ["train", "g2p", "--max-steps", "-5"], ["train", "g2p", "--data", "{dir}/absent.txt"], ["train", "g2p", "--data", "{dict}", "--out", "{dict}"],
        ["train", "g2p", "--data", "{dict}", "--out", "{dir}/r-resume", "--resume"], ["train", "g2p", "--data", "{dict}", "--out", "{model}", "--preset", "tiny"],
        ["train", "g2p", "--config", "{dir}/absent.json"], ["train", "g2p", "--config", "{dir}"], ["train", "g2p", "--frob"], ["train", "g2p", "--resume=2"],
        ["data"], ["data", "speech"], ["data", "g2p", "--data", "{dir}/absent.txt"], ["frob"], ["--threads", "1"], ["--frob", "predict"],
    ];

    static readonly string[] Configs =
    [
        "{\"max_len\": 2000000000}", "{\"max_len\": 9999999999}", "{\"max_len\": 7}", "{\"max_len\": -1}", "{\"d_model\": 2000000000}", "{\"d_model\": 0}",
        "{\"dim_feedforward\": 2000000000}", "{\"num_encoder_layers\": 100000}", "{\"num_decoder_layers\": 0}", "{\"num_heads\": 0}", "{\"num_heads\": 3}",
        "{\"beam_width\": 100000}", "{\"beam_width\": 0}", "{\"dropout\": -0.1}", "{\"dropout\": 1.5}", "{\"label_smoothing\": 2}", "{\"learning_rate\": 0}",
        "{\"learning_rate\": -1}", "{\"learning_rate\": 1e400}", "{\"batch_size\": 0}", "{\"batch_size\": 1000000}", "{\"replicas\": 3}", "{\"replicas\": 0}",
        "{\"warmup_steps\": -1}", "{\"weight_decay\": -1}", "{\"ema_decay\": 1}", "{\"clip_grad_norm\": 0}", "{\"dev_words\": -1}", "{\"epochs\": 0}",
        "{\"max_steps\": 0}", "{\"seed\": -1}", "{\"positions\": \"rotary\"}", "{\"positions\": null}", "{\"norm_first\": \"yes\"}", "{\"epochs\": \"3\"}",
        "{\"epochs\": 1.5}", "{\"epochs\": [3]}", "{\"epochs\": {}}", "{\"epoch\": 3}", "{\"\": 1}", "{\"EPOCHS\": 3}", "[]", "3", "\"x\"", "null", "", "{", "}",
        "{\"epochs\": 3} {}", "{\"epochs\": 3,, }", "\u0000\u0001\u0002", "{\"epochs\": 1, \"epochs\": 2}",
    ];

    /// <summary>Every case by its name: xUnit 2 serializes theory data, and a lone surrogate comes back as U+FFFD, so
    /// the "\ud800" row would share the "\uFFFD" row's test ID and be skipped (or run the wrong input). Names are
    /// plain ASCII and unique; the test looks its arguments up.</summary>
    public static TheoryData<string> HostileInputs() => [.. Cases().Keys];

    static Dictionary<string, string[]> Cases() =>
        Commands.Concat(Words.Select(word => new[] { "predict", "--model", "{model}", word }))
            .Concat(Configs.Select(config => new[] { "config:" + config }))
            .ToDictionary(CaseName, StringComparer.Ordinal);

    /// <summary>The arguments in printable ASCII: each quoted, any other character as \uXXXX, a long one cut to its
    /// start and length.</summary>
    static string CaseName(string[] args) => string.Join(' ', args.Select(arg =>
    {
        var escaped = string.Concat(arg.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
        return escaped.Length <= 80 ? $"\"{escaped}\"" : $"\"{escaped[..40]}...\"({arg.Length} chars)";
    }));

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public void Hostile_inputs_fail_with_one_line_and_no_stack_trace(string name)
    {
        string[] Resolve(string[] a) => [.. a.Select(x => x.Replace("{model}", tiny.Model).Replace("{dict}", tiny.Dictionary).Replace("{dir}", tiny.Folder))];
        var args = Cases()[name];
        var result = args is [var only] && only.StartsWith("config:", StringComparison.Ordinal)
            ? Train(Config($"hostile-{Guid.NewGuid():N}.json", only["config:".Length..]))
            : Run("", Resolve(args));
        Assert.True(result.Code is 1 or 2, $"{name}: exit {result.Code}: {result.Error}{result.Output}");
        Fails(result, result.Code);
    }
}
