using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.Training;

namespace SharpAttention.Cli;

/// <summary>The training curve as a PNG (ScottPlot): the loss of every step, its running mean, and the dev metric of
/// each evaluation on a second axis — read from the run's metrics.jsonl, so a resumed run draws its whole history.
/// A torn or incomplete row (a run killed mid-write) is skipped with a warning; the PNG is written atomically.</summary>
public static class LossCurve
{
    /// <param name="metricsJsonl">the run's metrics.jsonl</param>
    /// <param name="pngPath">the picture to write</param>
    /// <param name="devMetric">the evaluation metric drawn on the right axis</param>
    /// <param name="warn">hears rows skipped</param>
    /// <param name="percent">draw the metric as a percentage (rates) rather than as it is (perplexity)</param>
    public static void Save(string metricsJsonl, string pngPath, string devMetric = "dev_wer", Action<string>? warn = null, bool percent = true)
    {
        if (!File.Exists(metricsJsonl)) throw new CliException($"no metrics file at {metricsJsonl} to draw");
        List<double> steps = [], losses = [], evalSteps = [], evalValues = [];
        foreach (var (_, row) in MetricsRows.ReadJsonLines(metricsJsonl, warn))
        {
            string kind = row.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
            if (kind == "step" && Number(row, "step") is { } step && Number(row, "loss") is { } loss)
            {
                steps.Add(step);
                losses.Add(loss);
            }
            else if (kind == "eval" && Number(row, "step") is { } at)
            {
                if (Number(row, devMetric) is { } value)
                {
                    evalSteps.Add(at);
                    evalValues.Add(percent ? value * 100 : value);
                }
            }
            else warn?.Invoke($"{metricsJsonl}: a row without a kind, step and loss is not drawn");
        }
        var plot = new ScottPlot.Plot();
        plot.Title("Training");
        plot.XLabel("optimizer step");
        plot.YLabel("cross-entropy (label-smoothed)");
        if (steps.Count > 0)
        {
            var raw = plot.Add.Scatter(steps.ToArray(), losses.ToArray());
            raw.MarkerSize = 0;
            raw.LineWidth = 1;
            raw.Color = ScottPlot.Colors.SteelBlue.WithAlpha(0.35);
            raw.LegendText = "loss per step";
            var smooth = plot.Add.Scatter(steps.ToArray(), RunningMean(losses, Math.Max(1, steps.Count / 100)));
            smooth.MarkerSize = 0;
            smooth.LineWidth = 2;
            smooth.Color = ScottPlot.Colors.Navy;
            smooth.LegendText = "running mean";
        }
        if (evalSteps.Count > 0)
        {
            var dev = plot.Add.Scatter(evalSteps.ToArray(), evalValues.ToArray());
            dev.Axes.YAxis = plot.Axes.Right;
            dev.Color = ScottPlot.Colors.OrangeRed;
            dev.MarkerSize = 7;
            dev.LegendText = devMetric.Replace('_', ' ') + (percent ? " (%)" : "");
            plot.Axes.Right.Label.Text = dev.LegendText;
        }
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        AtomicFile.WriteAllBytes(pngPath, plot.GetImageBytes(1000, 600, ScottPlot.ImageFormat.Png));
    }

    static double? Number(JsonElement row, string key) =>
        row.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    static double[] RunningMean(List<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
