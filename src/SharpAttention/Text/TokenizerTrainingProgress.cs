namespace SharpAttention.Text;

/// <summary>Stage of a tokenizer trainer run (BPE, WordPiece, word or character level).</summary>
public enum TokenizerTrainingStage
{
    /// <summary>Reading the corpus and counting its units: <see cref="TokenizerTrainingProgress.Done"/> is lines (texts)
    /// read; <see cref="TokenizerTrainingProgress.Total"/> is null until the last report, which gives the count.</summary>
    Counting,
    /// <summary>Learning merges (BPE, WordPiece): <see cref="TokenizerTrainingProgress.Done"/> is the vocabulary size
    /// reached out of the size asked for.</summary>
    Merging,
}

/// <summary>How far a tokenizer trainer has got, reported through <see cref="IProgress{T}"/> from whichever thread
/// is counting; <paramref name="Total"/> is null while the corpus streams (its length is unknown until the end).</summary>
public readonly record struct TokenizerTrainingProgress(TokenizerTrainingStage Stage, long Done, long? Total);
