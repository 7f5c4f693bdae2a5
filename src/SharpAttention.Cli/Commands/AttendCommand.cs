using System.CommandLine;
using SharpAttention.Cli.Contract;
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
        var unknown = InputText.UnknownOption();
        var word = new Argument<string>("word") { Description = "the word to pronounce and inspect (after '--' if it starts with '-')" };
        var command = new Command("attend", "draw the cross-attention of a trained model on one word (PNG + HTML)") { model, output, unknown, word };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string png = parsed.GetValue(output)!;
            var given = InputText.Collect([parsed.GetValue(word)!], context.Input, "word");
            OutputPaths.WritableFile("--out", png, ".png");
            var g2p = G2pModel.Load(parsed.GetValue(model)!, context.Error);
            string text = G2pWords.Prepare(g2p, given, g2p.Recipe.MaxLen, InputText.Policy(parsed.GetValue(unknown)!))[0];
            G2pMemory.RequireDecoding([g2p], [text], g2p.Recipe.BeamWidth);
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
