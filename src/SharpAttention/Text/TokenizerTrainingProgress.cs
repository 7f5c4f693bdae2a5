namespace SharpAttention.Text;

/// <summary>How far a tokenizer trainer has got, reported through <see cref="IProgress{T}"/>: while counting,
/// <paramref name="Done"/> is lines read and <paramref name="Total"/> is null (the stream's length is unknown); while
/// merging, the vocabulary size reached out of the size asked for.</summary>
public sealed record TokenizerTrainingProgress(string Phase, long Done, long? Total);
