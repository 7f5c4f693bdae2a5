namespace SharpAttention.Tasks.Tagging;

/// <summary>One sentence of a tagging data set: its words, one tag per word, and where it came from
/// (<see cref="Line"/> is the 1-based line of its first word, for messages).</summary>
public sealed record TaggedSequence(IReadOnlyList<string> Words, IReadOnlyList<string> Tags, string Source, int? Line = null)
{
    public int Count => Words.Count;
}

/// <summary>Training, validation and test sentences; validation and test may be empty.</summary>
public sealed record TaggingSplit(IReadOnlyList<TaggedSequence> Train, IReadOnlyList<TaggedSequence> Valid, IReadOnlyList<TaggedSequence> Test);
