namespace SharpAttention.Data;

/// <summary>One example: a text, its class label as the user wrote it, and where it came from — the file and the
/// 1-based line its record starts on (null when the whole file is the text, as in a folder per class).</summary>
public sealed record LabeledText(string Text, string Label, string Source, int? Line = null)
{
    /// <summary><c>file:line</c>, or the file alone, for messages.</summary>
    public string Location => Line is int l ? $"{Source}:{l}" : Source;
}

/// <summary>The parts of a data set; Valid may be empty (no early stopping, no model selection).</summary>
public sealed record ClassificationSplit(IReadOnlyList<LabeledText> Train, IReadOnlyList<LabeledText> Valid, IReadOnlyList<LabeledText> Test);
