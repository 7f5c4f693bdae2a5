using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.G2p;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn eval TASK --model DIR [--part test|dev|train]`: the trained model's scores on one part of the split
/// (test by default; dev or train to see how far the model generalises).</summary>
public static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var task = new Argument<string>("task") { Description = "the task: g2p" };
        task.AcceptOnlyFromAmong("g2p");
        var model = new Option<string[]>("--model")
        {
            Description = "folder written by `attn train`; repeat it to decode several models as an ensemble (their probabilities averaged)",
            Required = true,
        };
        var data = new Option<string?>("--data") { Description = "cmudict dict.txt (or its folder) instead of the cached copy" };
        var beam = Flags.Int("--beam", "beam width (default: the recipe's; 1 = greedy)", () => G2pRecipe.RangeOf("beam_width"));
        var part = Flags.Choice("--part", "the part of the split to score", "test", "dev", "train");
        var poolLimit = PoolLimit.Create();
        var command = new Command("eval", "score a trained model on one part of the split, test by default (WER and PER for g2p)") { task, model, data, beam, part, poolLimit };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            PoolLimit.Apply(parsed.GetValue(poolLimit));
            return G2pCommands.Eval(context, parsed.GetValue(model)!, parsed.GetValue(data), parsed.GetValue(beam), parsed.GetValue(part)!);
        }));
        return command;
    }
}
