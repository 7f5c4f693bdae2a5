using System.CommandLine;

namespace SharpAttention.Cli.Tasks;

/// <summary>
/// One task of `attn` (g2p, classify and lm; tag to come): its `train` and `eval` subcommands, and what `predict` and
/// `attend` do with a model folder of its kind. Every task runs the same pipeline — data, tokenizer, model, Trainer,
/// metrics, a model folder in the Hugging Face layout — and keeps its own code in its own folder (G2p/, Classification/, LanguageModeling/).
/// </summary>
public abstract class CliTask
{
    /// <summary>The word after the verb: `attn train NAME`.</summary>
    public abstract string Name { get; }

    /// <summary>One line for --help.</summary>
    public abstract string Summary { get; }

    /// <summary>`attn train NAME`: the common flags (<see cref="TrainFlags"/>) and the task's own.</summary>
    public abstract Command TrainCommand(CliContext context);

    /// <summary>`attn eval NAME --model DIR`: the model's scores on labelled data.</summary>
    public abstract Command EvalCommand(CliContext context);

    /// <summary>`attn predict` flags only this task's models take; given with another task's model they are refused.</summary>
    public virtual IReadOnlyList<Option> PredictOptions => [];

    /// <summary>`attn attend` flags only this task's models take.</summary>
    public virtual IReadOnlyList<Option> AttendOptions => [];

    /// <summary>Whether <paramref name="folder"/> (which exists) holds a model of this task.</summary>
    public abstract bool Owns(string folder);

    /// <summary>Whether <paramref name="folder"/>'s config.json names <paramref name="architecture"/> among its
    /// "architectures" (Hugging Face's field); false when the file is missing or unreadable (the loader reports that).</summary>
    protected static bool HasArchitecture(string folder, string architecture)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return false;
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))?["architectures"] is System.Text.Json.Nodes.JsonArray names
                && names.Any(n => n is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? s) && s == architecture);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Refuses, for `eval TASK`, a model folder of another task (a missing folder is left to the loader).</summary>
    protected void RequireOwn(string folder)
    {
        if (Directory.Exists(folder) && !Owns(folder))
            throw new CliException($"--model {Contract.Shown.Quote(folder)} holds no {Name} model (no folder written by `attn train {Name}`)");
    }

    /// <summary>`attn predict --model DIR… INPUT…`: <paramref name="inputs"/> null or empty means stdin.</summary>
    public abstract int Predict(CliContext context, ParseResult parsed, IReadOnlyList<string> models, string[]? inputs);

    /// <summary>`attn export --model DIR --out PATH`: the model as ONNX, with the files a consumer needs (tokenizer,
    /// config) beside it; returns every path written. Tasks without an exporter refuse.</summary>
    public virtual IReadOnlyList<string> Export(string folder, string output, SharpAttention.Onnx.OnnxExportOptions options) =>
        throw new CliException($"--model {Contract.Shown.Quote(folder)}: exporting {Name} models to ONNX is not supported");

    /// <summary>The one-graph export classify, tag and lm share: <paramref name="export"/> writes the .onnx file named
    /// by --out, then config.json and the tokenizer files are copied beside it. Returns every path written.</summary>
    protected static IReadOnlyList<string> ExportOneGraph(string folder, string output, string configFile, Action<string> export)
    {
        Contract.OutputPaths.WritableFile("--out", output, ".onnx");
        Commands.ExportCommand.Export(() => export(output));
        return [output, .. Commands.ExportCommand.CopyBeside(folder, Path.GetDirectoryName(Path.GetFullPath(output))!,
            [configFile, Text.Tokenizers.ConfigFile, Text.Tokenizers.VocabJson, Text.Tokenizers.MergesTxt, Text.Tokenizers.VocabTxt])];
    }

    /// <summary>`attn attend --model DIR INPUT --out FILE`.</summary>
    public abstract int Attend(CliContext context, ParseResult parsed, string model, string input, string output);
}
