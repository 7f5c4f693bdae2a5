namespace SharpAttention.Tasks.Classification;

/// <summary>Which columns (CSV/TSV) or fields (JSON Lines) hold the text and the label.</summary>
public sealed record TextColumns(string Text = "text", string Label = "label")
{
    public static TextColumns Default { get; } = new();
}
