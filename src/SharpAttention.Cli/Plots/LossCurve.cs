using System.Text.Json;

namespace SharpAttention.Cli;

/// <summary>The training curve as a PNG (ScottPlot): the loss of every step, its running mean, and the dev metric of
/// each evaluation on a second axis — read from the run's metrics.jsonl, so a resumed run draws its whole history.</summary>
public static class LossCurve
{
    public static void Save(string metricsJsonl, string pngPath, string devMetric = "dev_wer")
    {
        if (!File.Exists(metricsJsonl)) throw new CliException($"no metrics file at {metricsJsonl} to draw");
        List<double> steps = [], losses = [], evalSteps = [], evalValues = [];
        foreach (var line in File.ReadLines(metricsJsonl))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            string kind = root.GetProperty("kind").GetString() ?? "";
            if (kind == "step")
            {
                steps.Add(root.GetProperty("step").GetDouble());
                losses.Add(root.GetProperty("loss").GetDouble());
            }
            else if (kind == "eval" && root.TryGetProperty(devMetric, out var value))
            {
                evalSteps.Add(root.GetProperty("step").GetDouble());
                evalValues.Add(value.GetDouble() * 100);
            }
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
            dev.LegendText = devMetric.Replace('_', ' ') + " (%)";
            plot.Axes.Right.Label.Text = devMetric.Replace('_', ' ') + " (%)";
        }
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(pngPath, 1000, 600);
    }

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
