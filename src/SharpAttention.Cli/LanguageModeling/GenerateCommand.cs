using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Tasks.LanguageModeling;

namespace SharpAttention.Cli.LanguageModeling;

/// <summary>`attn generate --model DIR --prompt "…"`: continues a prompt with a language model, printing each piece of
/// text as its token is produced and stopping at the end-of-text token or --max-tokens. Sampling by default
/// (--temperature, --top-k, --top-p, --repetition-penalty, --seed, --num-samples), or --greedy, or --beam K.</summary>
public static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train lm`", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "text to continue (default: empty, a new document)", DefaultValueFactory = _ => "" };
        var maxTokens = Flags.Int("--max-tokens", "most tokens to produce (default 100)", () => Bounds.Integers(1, 100_000));
        var temperature = Flags.Double("--temperature", "divide the logits by T: below 1 sharper, above 1 flatter (default 1)", () => new Bounds(0, 100, MinOpen: true));
        var topK = Flags.Int("--top-k", "draw only among the k most probable tokens (default 0: all)", () => Bounds.Integers(0, 10_000_000));
        var topP = Flags.Double("--top-p", "draw only among the most probable tokens whose probability reaches p (default 1: all)", () => new Bounds(0, 1, MinOpen: true));
        var penalty = Flags.Double("--repetition-penalty", "divide positive (multiply negative) logits of tokens already present by R (default 1: none)", () => new Bounds(0, 100, MinOpen: true));
        var seed = Flags.Long("--seed", "seed of the draws (default 42); sample i uses seed and i", () => Bounds.Integers(0, long.MaxValue));
        var samples = Flags.Int("--num-samples", "continuations to produce (default 1)", () => Bounds.Integers(1, 1000));
        var greedy = new Option<bool>("--greedy") { Description = "take the most probable token at every step instead of sampling" };
        var beam = Flags.Int("--beam", "beam search of this width instead of sampling (prints when done)", () => Bounds.Integers(1, 256));
        var command = new Command("generate", "continue a prompt with a language model, streaming the text as it is produced")
            { model, prompt, maxTokens, temperature, topK, topP, penalty, seed, samples, greedy, beam };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(model)!;
            if (!Directory.Exists(folder)) throw new CliException($"--model: folder {Shown.Quote(folder)} does not exist");
            if (!LanguageModelFolder.Holds(folder)) throw new CliException($"--model {Shown.Quote(folder)} holds no language model (no folder written by `attn train lm`)");
            bool sampling = !parsed.GetValue(greedy) && parsed.GetValue(beam) is null;
            if (parsed.GetValue(greedy) && parsed.GetValue(beam) != null) throw new UsageException("--greedy and --beam both choose the search: give one");
            if (!sampling)
                foreach (var option in new Option[] { temperature, topK, topP, seed })
                    if (parsed.GetResult(option) is { Implicit: false })
                        throw new UsageException($"{option.Name} shapes sampling; it has no effect with {(parsed.GetValue(greedy) ? "--greedy" : "--beam")}");
            var options = new GenerationOptions
            {
                MaxNewTokens = parsed.GetValue(maxTokens) ?? 100, DoSample = sampling, Temperature = parsed.GetValue(temperature) ?? 1.0,
                TopK = parsed.GetValue(topK) ?? 0, TopP = parsed.GetValue(topP) ?? 1.0, RepetitionPenalty = parsed.GetValue(penalty) ?? 1.0,
                NumBeams = parsed.GetValue(beam) ?? 1, Seed = (ulong)(parsed.GetValue(seed) ?? 42), NumReturnSequences = parsed.GetValue(samples) ?? 1,
            };
            var lm = LmCommands.Load(folder);
            string text = parsed.GetValue(prompt)!;
            Run(context.Output, lm, text, options);
            return 0;
        }));
        return command;
    }

    /// <summary>Each sample: the prompt, then the continuation piece by piece, flushed as it comes.</summary>
    static void Run(TextWriter output, LanguageModel lm, string prompt, GenerationOptions options)
    {
        for (int i = 0; i < options.NumReturnSequences; i++)
        {
            if (options.NumReturnSequences > 1) output.WriteLine($"--- sample {i + 1} ---");
            output.Write(prompt);
            output.Flush();
            try
            {
                foreach (var piece in lm.GenerateStream(prompt, options, i))
                {
                    output.Write(piece);
                    output.Flush();
                }
            }
            catch (ArgumentException e)
            {
                output.WriteLine();
                throw new UsageException(e.Message.Split(" (Parameter")[0]);
            }
            output.WriteLine();
        }
    }
}
