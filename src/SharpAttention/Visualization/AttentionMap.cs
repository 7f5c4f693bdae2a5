using SharpAttention.Tensors;

namespace SharpAttention.Visualization;

/// <summary>
/// One attention matrix ready to draw: rows are queries (e.g. the phonemes being produced), columns are keys (e.g. the
/// letters read), each row a distribution over the columns. Built from a (T, S) slice of returned attention weights.
/// </summary>
public sealed record AttentionMap(string Title, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, double[,] Weights)
{
    /// <summary>A map from a 2-D (T, S) tensor of weights.</summary>
    public static AttentionMap FromTensor(string title, Tensor weights, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Dim != 2 || weights.Shape[0] != rowLabels.Count || weights.Shape[1] != columnLabels.Count)
            throw new ArgumentException($"attention map '{title}': weights of shape {ShapeUtil.Format(weights.Shape)} do not match " +
                                        $"{rowLabels.Count} row and {columnLabels.Count} column labels");
        var values = weights.To(DType.Float64).Contiguous().ToDoubleArray();
        var grid = new double[rowLabels.Count, columnLabels.Count];
        for (int i = 0; i < rowLabels.Count; i++)
            for (int j = 0; j < columnLabels.Count; j++)
                grid[i, j] = values[i * columnLabels.Count + j];
        return new AttentionMap(title, rowLabels, columnLabels, grid);
    }

    /// <summary>The element-wise mean of several maps with the same labels (e.g. over heads and layers).</summary>
    public static AttentionMap Average(string title, IReadOnlyList<AttentionMap> maps)
    {
        if (maps.Count == 0) throw new ArgumentException("attention map average: no maps", nameof(maps));
        var first = maps[0];
        int rows = first.RowLabels.Count, columns = first.ColumnLabels.Count;
        var grid = new double[rows, columns];
        foreach (var map in maps)
        {
            if (map.Weights.GetLength(0) != rows || map.Weights.GetLength(1) != columns)
                throw new ArgumentException($"attention map average: '{map.Title}' is not {rows}×{columns}", nameof(maps));
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                    grid[i, j] += map.Weights[i, j] / maps.Count;
        }
        return new AttentionMap(title, first.RowLabels, first.ColumnLabels, grid);
    }
}
