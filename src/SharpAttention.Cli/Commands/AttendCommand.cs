using System.CommandLine;
using SharpAttention.Cli.G2p;
using SharpAttention.Visualization;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn attend --model DIR WORD --out map.png`: where each decoder layer's cross-attention heads look in the
/// word while producing each phoneme — one panel per layer and head plus their average — as a PNG and an HTML page.</summary>
public static class AttendCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train`", Required = true };
        var output = new Option<string>("--out") { Description = "PNG to write; an .html page with the same name is written beside it", Required = true };
        var word = new Argument<string>("word") { Description = "the word to pronounce and inspect" };
        var command = new Command("attend", "draw the cross-attention of a trained model on one word (PNG + HTML)") { model, output, word };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var g2p = G2pModel.Load(parsed.GetValue(model)!, context.Error);
            string png = parsed.GetValue(output)!, text = parsed.GetValue(word)!.Trim();
            if (text.Length == 0) throw new CliException("the word is empty");
            if (text.Length + 1 > g2p.Recipe.MaxLen) throw new CliException($"word '{text}' is longer than the model's {g2p.Recipe.MaxLen - 1} letters");
            if (!png.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new CliException($"--out must name a .png file, got '{png}'");
            var folder = Path.GetDirectoryName(Path.GetFullPath(png))!;
            if (!Directory.Exists(folder)) throw new CliException($"--out: folder '{folder}' does not exist");
            var (phonemes, maps) = G2pAttention.Maps(g2p, text);
            AttentionHeatmapPng.Save(png, maps, columns: g2p.Recipe.NumHeads);
            var html = Path.ChangeExtension(png, ".html");
            File.WriteAllText(html, AttentionHtml.Render($"Cross-attention: {text.ToUpperInvariant()} → {string.Join(' ', phonemes)}", maps,
                "Rows: the phoneme being produced (then <eos>); columns: the letters read (then <eos>). One table per decoder layer and head, then their average."));
            context.Output.WriteLine($"{text.ToUpperInvariant()}\t{string.Join(' ', phonemes)}");
            context.Output.WriteLine($"wrote {png} and {html}");
            return 0;
        }));
        return command;
    }
}
