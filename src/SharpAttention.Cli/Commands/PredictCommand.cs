using System.CommandLine;
using SharpAttention.Cli.G2p;
using Spectre.Console;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn predict --model DIR [--model DIR…] WORD…`: the n best pronunciations of each word (words from stdin when
/// none are given, one per line), by one model or an ensemble.</summary>
public static class PredictCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string[]>("--model")
        {
            Description = "folder written by `attn train`; repeat it to decode several models as an ensemble (their probabilities averaged)",
            Required = true,
        };
        var beam = new Option<int?>("--beam") { Description = "beam width (default: the recipe's; 1 = greedy)" };
        var nBest = new Option<int>("--nbest") { Description = "pronunciations to print per word", DefaultValueFactory = _ => 1 };
        var words = new Argument<string[]>("words") { Description = "words to pronounce (default: read lines from stdin)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("predict", "pronounce words with a trained model") { model, beam, nBest, words };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var models = parsed.GetValue(model)!.Select(folder => G2pModel.Load(folder, context.Error)).ToArray();
            var g2p = models[0];
            int width = parsed.GetValue(beam) ?? g2p.Recipe.BeamWidth, n = parsed.GetValue(nBest);
            if (width < 1) throw new CliException($"--beam must be at least 1, got {width}");
            if (n < 1 || n > width) throw new CliException($"--nbest must lie in 1..beam width ({width}), got {n}");
            var input = parsed.GetValue(words) is { Length: > 0 } given ? given : ReadStdin();
            var list = input.Select(w => w.Trim()).Where(w => w.Length > 0).ToArray();
            int maxLen = models.Min(m => m.Recipe.MaxLen);
            foreach (var word in list)
                if (word.Length + 1 > maxLen) throw new CliException($"word '{word}' is longer than the model's {maxLen - 1} letters");
            var results = G2pPredictor.Predict(models, list, width, n);
            for (int i = 0; i < list.Length; i++)
                foreach (var p in results[i].Take(n))
                    context.Output.WriteLine($"{list[i].ToUpperInvariant()}\t{string.Join(' ', p.Phonemes)}\t{p.LogProb:F3}");
            return 0;
        }));
        return command;
    }

    static string[] ReadStdin()
    {
        var lines = new List<string>();
        for (string? line; (line = Console.In.ReadLine()) != null;) lines.Add(line);
        return [.. lines];
    }
}
