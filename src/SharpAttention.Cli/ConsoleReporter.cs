using System.Diagnostics;
using SharpAttention.Training;
using Spectre.Console;

namespace SharpAttention.Cli;

/// <summary>Training progress on the console: a status line (step, loss, lr, tok/s, ETA) every couple of seconds and
/// a line per evaluation. Plain lines rather than a redrawn bar, so logs and CI output read the same.</summary>
/// <param name="evaluation">what the evaluation after each epoch scores, in words</param>
/// <param name="percent">show the metrics as percentages (rates, accuracies) rather than as they are (perplexities)</param>
public sealed class ConsoleReporter(IAnsiConsole console, string evaluation = "greedy, dev sample", bool percent = true)
{
    readonly Stopwatch sinceLast = Stopwatch.StartNew();
    long firstStep = -1;
    TimeSpan firstElapsed;

    public void Info(string message) => console.MarkupLineInterpolated($"[grey]{message}[/]");

    public void Step(StepEvent e, long totalSteps)
    {
        if (firstStep < 0) (firstStep, firstElapsed) = (e.Step, e.Elapsed);
        if (sinceLast.Elapsed.TotalSeconds < 2 && e.Step != totalSteps) return;
        sinceLast.Restart();
        double perStep = e.Step > firstStep ? (e.Elapsed - firstElapsed).TotalSeconds / (e.Step - firstStep) : 0;
        var eta = TimeSpan.FromSeconds(Math.Max(0, (totalSteps - e.Step) * perStep));
        console.MarkupLineInterpolated(
            $"step [bold]{e.Step,6}[/]/{totalSteps} epoch {e.Epoch + 1,3}  loss [bold]{e.Loss,7:F4}[/]  lr {e.LearningRate:0.00e+0}  {e.TokensPerSecond,8:N0} tok/s  elapsed {Format(e.Elapsed)}  ETA {Format(eta)}");
    }

    public void Evaluated(EvaluationEvent e)
    {
        var parts = string.Join("  ", e.Metrics.Select(kv => percent ? $"{kv.Key} {kv.Value * 100:F2}%" : $"{kv.Key} {kv.Value:F3}"));
        console.MarkupLineInterpolated($"[yellow]epoch {e.Epoch + 1} evaluation ({evaluation}): {parts}{(e.IsBest ? "  (best so far, saved)" : "")}[/]");
    }

    public static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");
}
