using ScottPlot;
using SharpAttention.Visualization;

namespace SharpAttention.Cli;

/// <summary>Attention maps as one PNG (ScottPlot): a grid of heatmaps, one panel per map, queries down the side and
/// keys along the bottom, shaded 0 (white) to 1 (dark blue) on one scale so panels compare.</summary>
public static class AttentionHeatmapPng
{
    public static void Save(string path, IReadOnlyList<AttentionMap> maps, int columns)
    {
        if (maps.Count == 0) throw new CliException("no attention maps to draw");
        columns = Math.Clamp(columns, 1, maps.Count);
        int rows = (maps.Count + columns - 1) / columns;
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(maps.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int k = 0; k < maps.Count; k++) Draw(multiplot.GetPlot(k), maps[k]);
        int cellsWide = maps.Max(m => m.ColumnLabels.Count), cellsHigh = maps.Max(m => m.RowLabels.Count);
        int panelWidth = Math.Max(260, 34 * cellsWide + 110), panelHeight = Math.Max(240, 30 * cellsHigh + 90);
        multiplot.SavePng(path, panelWidth * columns, panelHeight * rows);
    }

    static void Draw(ScottPlot.Plot plot, AttentionMap map)
    {
        int t = map.RowLabels.Count, s = map.ColumnLabels.Count;
        var heatmap = plot.Add.Heatmap(map.Weights);
        heatmap.Colormap = new WhiteToBlue();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (i, j) centred on x = j, y = t − 1 − i: the first query on top, as in the matrix.
        heatmap.Extent = new ScottPlot.CoordinateRect(-0.5, s - 0.5, -0.5, t - 0.5);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, s).Select(j => (double)j)], [.. map.ColumnLabels]);
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, t).Select(i => (double)(t - 1 - i))], [.. map.RowLabels]);
        plot.Axes.SetLimits(-0.5, s - 0.5, -0.5, t - 0.5);
        plot.Title(map.Title, size: 13);
        plot.Grid.IsVisible = false;
    }

    /// <summary>0 → white, 1 → dark blue (the HTML page's shading), so faint attention fades into the background.</summary>
    internal sealed class WhiteToBlue : IColormap
    {
        public string Name => "white to blue";

        public Color GetColor(double position)
        {
            double p = Math.Clamp(double.IsFinite(position) ? position : 0, 0, 1);
            static byte Mix(double from, double to, double p) => (byte)Math.Round(from + (to - from) * p);
            return new Color(Mix(255, 8, p), Mix(255, 48, p), Mix(255, 107, p));
        }
    }
}
