using ScottPlot;
using SharpAttention.Training;

namespace SharpAttention.Cli;

/// <summary>A confusion matrix as a PNG (ScottPlot): true classes down the side, predicted along the bottom, each cell
/// shaded by its share of the true class (its recall when on the diagonal) and labelled with its count.</summary>
public static class ConfusionMatrixPng
{
    public static void Save(string path, ClassificationMetrics metrics, IReadOnlyList<string> labels)
    {
        int c = labels.Count;
        var shares = new double[c, c];
        for (int t = 0; t < c; t++)
            for (int p = 0; p < c; p++)
                shares[t, p] = metrics.Support(t) == 0 ? 0 : (double)metrics.Confusion(t, p) / metrics.Support(t);
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new AttentionHeatmapPng.WhiteToBlue();   // 0 white, 1 dark blue, as the attention maps
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (t, p) centred on x = p, y = c − 1 − t: the first true class on top, as in the printed table.
        heatmap.Extent = new CoordinateRect(-0.5, c - 0.5, -0.5, c - 0.5);
        for (int t = 0; t < c; t++)
            for (int p = 0; p < c; p++)
            {
                var text = plot.Add.Text(metrics.Confusion(t, p).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), p, c - 1 - t);
                text.LabelFontSize = Math.Clamp(160f / c, 9f, 28f);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = shares[t, p] > 0.5 ? Colors.White : Colors.Black;
            }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, c).Select(p => (double)p)], [.. labels]);
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, c).Select(t => (double)(c - 1 - t))], [.. labels]);
        plot.Axes.SetLimits(-0.5, c - 0.5, -0.5, c - 0.5);
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title($"{metrics.Count:N0} texts, accuracy {metrics.Accuracy * 100:F2}%", size: 14);
        plot.Grid.IsVisible = false;
        int side = Math.Clamp(120 * c + 240, 480, 1600);
        plot.SavePng(path, side, side);
    }
}
