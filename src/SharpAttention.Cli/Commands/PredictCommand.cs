using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.G2p;

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
        var beam = Flags.Int("--beam", "beam width (default: the recipe's; 1 = greedy)", () => G2pRecipe.RangeOf("beam_width"));
        var nBest = Flags.Int("--nbest", "pronunciations to print per word, at most the beam width (default 1)", () => G2pRecipe.RangeOf("beam_width"));
        var unknown = InputText.UnknownOption();
        var words = new Argument<string[]>("words") { Description = "words to pronounce (default: read lines from stdin); a word starting with '-' goes after '--'", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("predict", "pronounce words with a trained model") { model, beam, nBest, unknown, words };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var input = InputText.Collect(parsed.GetValue(words), context.Input, "word");
            var models = parsed.GetValue(model)!.Select(folder => G2pModel.Load(folder, context.Error)).ToArray();
            var g2p = models[0];
            int width = parsed.GetValue(beam) ?? g2p.Recipe.BeamWidth, n = parsed.GetValue(nBest) ?? 1;
            Check.Flag("--nbest", n, Bounds.Integers(1, width));   // at most the beam width, whichever gave it
            var list = G2pWords.Prepare(g2p, input, models.Min(m => m.Recipe.MaxLen), InputText.Policy(parsed.GetValue(unknown)!));
            G2pMemory.RequireDecoding(models, list, width);
            var results = G2pPredictor.Predict(models, list, width, n);
            for (int i = 0; i < list.Length; i++)
                foreach (var p in results[i].Take(n))
                    context.Output.WriteLine($"{list[i].ToUpperInvariant()}\t{string.Join(' ', p.Phonemes)}\t{p.LogProb:F3}");
            return 0;
        }));
        return command;
    }
}
