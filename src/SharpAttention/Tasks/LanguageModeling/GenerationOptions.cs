namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>How <see cref="LanguageModel.Generate"/> continues a prompt; Hugging Face's generate() arguments in .NET
/// casing. Sampling applies the repetition penalty, then temperature, top-k and top-p; greedy and beam search take
/// the most probable continuation (the penalty applies to greedy too).</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to produce after the prompt; generation stops earlier at the end-of-text token.</summary>
    public int MaxNewTokens { get; init; } = 100;

    /// <summary>Draw tokens (true) or take the most probable one (false: greedy, or beam search with NumBeams &gt; 1).</summary>
    public bool DoSample { get; init; } = true;

    public double Temperature { get; init; } = 1.0;

    /// <summary>0 keeps every token.</summary>
    public int TopK { get; init; }

    /// <summary>1 keeps every token.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>1 for none; above 1 discourages tokens already in the prompt or the continuation.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Beam width when not sampling (1: greedy).</summary>
    public int NumBeams { get; init; } = 1;

    /// <summary>Continuations to produce; sample i draws from its own generator, seeded by Seed and i.</summary>
    public int NumReturnSequences { get; init; } = 1;

    public ulong Seed { get; init; } = 42;
}
