using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Text;
using SharpAttention.Onnx;
using SharpAttention.Tasks.LanguageModeling;

namespace SharpAttention.Cli.LanguageModeling;

/// <summary>
/// Language modelling on `attn`'s shared verbs: `train lm` (the user's plain text, or --recipe brown-lm), `eval lm`
/// (sliding-window perplexity and bits per byte, --json), `attend` (every layer's and head's causal self-attention over
/// a text); `attn generate` (<see cref="GenerateCommand"/>) continues a prompt. The library side is
/// <see cref="LanguageModel"/>; a model folder holds config.json, model.safetensors, the tokenizer files, recipe.json,
/// results.json, metrics.jsonl, loss.png, the token files under data/ and the checkpoints.
/// </summary>
public sealed class LmTask : CliTask
{
    public const string RecipeFile = "recipe.json", LossFile = "loss.png";

    public override string Name => "lm";
    public override string Summary => "language modelling: a decoder-only Transformer on your plain text, scored by perplexity, sampled by `attn generate`";

    public override bool Owns(string folder) => LanguageModelFolder.Holds(folder);

    public override Command TrainCommand(CliContext context)
    {
        var flags = new TrainFlags(Name, "your plain text (UTF-8): a file or a folder of files; with --recipe brown-lm, a local copy of the Brown corpus (default: the cache)",
            [.. LmRecipe.PresetNames], [.. LmRecipe.RecipeNames], () => LmRecipe.RangeOf("epochs"), () => LmRecipe.RangeOf("max_steps"));
        var valid = new Option<string?>("--valid") { Description = "validation text (file or folder) instead of a share of --data's documents" };
        var test = new Option<string?>("--test") { Description = "test text (file or folder) instead of a share of --data's documents" };
        var documents = new Option<string?>("--documents") { Description = "where a document of --data ends [paragraph|file] (default paragraph: at blank lines)" };
        documents.AcceptOnlyFromAmong("paragraph", "file");
        var seed = Flags.Long("--seed", "seed of the split, the initialisation and the block order (default 42)", () => Bounds.Integers(0, long.MaxValue));
        var contextFlag = Flags.Int("--context", "tokens per training block and evaluation window", () => LmRecipe.RangeOf("context"));
        var command = new Command(Name, "train a language model on your text (or --recipe brown-lm) and report its test perplexity")
            { valid, test, documents, seed, contextFlag };
        flags.AddTo(command);
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(flags.Out)!;
            bool resuming = parsed.GetValue(flags.Resume);
            var recipe = flags.Choose(parsed, RecipeFile, LmRecipe.FromPreset, LmRecipe.FromJsonFile, LmRecipe.Quick);
            if (parsed.GetValue(documents) is { } d) recipe = recipe with { Documents = d };
            if (parsed.GetValue(seed) is long n) recipe = recipe with { Seed = (ulong)n };
            if (parsed.GetValue(contextFlag) is int c) recipe = recipe with { Context = c };
            recipe.Validate();
            var sources = new LmData.Sources(parsed.GetValue(flags.Data), parsed.GetValue(valid), parsed.GetValue(test));
            return LmCommands.Train(context, recipe, sources, folder, resuming);
        }));
        return command;
    }

    public override Command EvalCommand(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train lm`", Required = true };
        var data = new Option<string?>("--data") { Description = "plain text to score (file or folder); default: the recipe's test part (brown-lm)" };
        var stride = Flags.Int("--stride", "tokens the sliding window moves (1 … context; default context / 2): smaller gives each token more context", () => Bounds.Integers(1, 8192));
        var json = new Option<bool>("--json") { Description = "print the scores as one JSON object (as in results.json)" };
        var command = new Command(Name, "perplexity and bits per byte of a language model on a text, every token scored once by a sliding window")
            { model, data, stride, json };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            RequireOwn(parsed.GetValue(model)!);
            return LmCommands.Eval(context, parsed.GetValue(model)!, parsed.GetValue(data), parsed.GetValue(stride), parsed.GetValue(json));
        }));
        return command;
    }

    public override int Predict(CliContext context, ParseResult parsed, IReadOnlyList<string> models, string[]? inputs) =>
        throw new UsageException("a language model continues text with `attn generate --model DIR --prompt \"…\"`, not predict");

    /// <summary>`attn export`: the model as one ONNX file, with config.json and the tokenizer files beside it.</summary>
    /// <summary>The graph, config and tokenizer files, and for ONNX Runtime GenAI genai_config.json (end-of-text as eos
    /// and bos, since generation starts after it as here; the padding token as pad) and, for a BPE, tokenizer.json. A
    /// model with neither end-of-text nor padding token gets no genai_config.json (GenAI needs an id to stop on).</summary>
    public override IReadOnlyList<string> Export(string folder, string output, OnnxExportOptions options)
    {
        var lm = LmCommands.Load(folder);
        var written = ExportOneGraph(folder, output, LanguageModelFolder.ConfigFile, path => lm.Model.ExportOnnx(path, options));
        var beside = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (TokenizerJson.CanWrite(folder)) written = [.. written, TokenizerJson.Write(folder, beside)];
        if ((lm.EosId ?? lm.PadId) is not int eos) return written;
        return [.. written, GenAiConfig.Write(lm.Model, output, new GenAiOptions { EosTokenId = eos, PadTokenId = lm.PadId })];
    }

    public override int Attend(CliContext context, ParseResult parsed, string folder, string input, string output)
    {
        OutputPaths.WritableFile("--out", output, ".html");
        var lm = LmCommands.Load(folder);
        var (html, tokens) = LmAttention.Render(lm, input);
        SharpAttention.IO.AtomicFile.WriteAllText(output, html);
        context.Output.WriteLine($"{tokens} tokens, {lm.Model.Config.NumLayers} layers × {lm.Model.Config.NumHeads} heads");
        context.Output.WriteLine($"wrote {output}");
        return 0;
    }
}
