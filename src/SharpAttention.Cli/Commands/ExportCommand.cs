using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Onnx;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn export --model DIR --out PATH [--opset N] [--fused]`: a trained model of any task as ONNX (torch.onnx.export
/// with Hugging Face Optimum's names), the tokenizer and config files copied beside it so that a consumer has everything.
/// classify: one .onnx file; g2p: a folder with encoder_model.onnx, decoder_model.onnx and decoder_with_past_model.onnx.</summary>
public static class ExportCommand
{
    public static Command Create(CliContext context, IReadOnlyList<CliTask> tasks)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train`", Required = true };
        var output = new Option<string>("--out")
        {
            Description = "classify: the .onnx file to write (tokenizer files go beside it); g2p: a folder for the encoder and decoder graphs",
            Required = true,
        };
        var opset = Flags.Int("--opset", $"ai.onnx opset (default {new OnnxExportOptions().Opset})",
            () => Bounds.Integers(OnnxExportOptions.MinOpset, OnnxExportOptions.MaxOpset));
        var fused = new Option<bool>("--fused") { Description = "attention as ONNX Runtime's com.microsoft MultiHeadAttention (faster there, ONNX Runtime only)" };
        var command = new Command("export", "write a trained model as ONNX for ONNX Runtime and other runtimes") { model, output, opset, fused };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(model)!;
            var task = TaskCatalog.ForModel(tasks, folder);
            var options = new OnnxExportOptions { Fused = parsed.GetValue(fused) };
            if (parsed.GetValue(opset) is int version) options = options with { Opset = version };
            var written = task.Export(folder, parsed.GetValue(output)!, options);
            foreach (var path in written) context.Output.WriteLine($"wrote {path}");
            return 0;
        }));
        return command;
    }

    /// <summary>Runs an exporter, reporting what it cannot express as one line naming it (exit code 1).</summary>
    internal static void Export(Action export)
    {
        try
        {
            export();
        }
        catch (OnnxExportException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    /// <summary>Copies the named files and folders of <paramref name="folder"/> that exist into <paramref name="destination"/>
    /// (skipping any that already are there), atomically file by file; returns the destination paths.</summary>
    internal static IReadOnlyList<string> CopyBeside(string folder, string destination, IEnumerable<string> names)
    {
        var copied = new List<string>();
        foreach (var name in names)
        {
            string source = Path.Combine(folder, name), target = Path.Combine(destination, name);
            if (Path.GetFullPath(source) == Path.GetFullPath(target)) continue;
            if (File.Exists(source))
            {
                SharpAttention.IO.AtomicFile.WriteAllBytes(target, File.ReadAllBytes(source));
                copied.Add(target);
            }
            else if (Directory.Exists(source))
            {
                Directory.CreateDirectory(target);
                copied.AddRange(CopyBeside(source, target, Directory.EnumerateFileSystemEntries(source).Select(Path.GetFileName)!));
            }
        }
        return copied;
    }
}
