namespace SharpAttention.Onnx;

/// <summary>
/// The token ids and search defaults written into ONNX Runtime GenAI's genai_config.json (<see cref="GenAiConfig"/>);
/// the search fields keep GenAI's names and defaults, and GeneratorParams.SetSearchOption overrides each at run time.
/// </summary>
public sealed record GenAiOptions
{
    /// <summary>The end-of-text token: generation stops after it (GenAI's eos_token_id).</summary>
    public required int EosTokenId { get; init; }

    /// <summary>The start-of-text token; null means <see cref="EosTokenId"/> (this project's documents start after an
    /// end-of-text token, as GPT-2's do).</summary>
    public int? BosTokenId { get; init; }

    /// <summary>The token GenAI pads shorter prompts of a batch with; null means <see cref="EosTokenId"/>.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Prompt plus new tokens; null means the model's context length (GenAI's own default).</summary>
    public int? MaxLength { get; init; }

    /// <summary>False: greedy (the most probable token at every step).</summary>
    public bool DoSample { get; init; }

    /// <summary>Sampling keeps the K most probable tokens (GenAI's default 50).</summary>
    public int TopK { get; init; } = 50;

    /// <summary>Sampling keeps the smallest set of tokens whose probabilities add up to P; 1 keeps all.</summary>
    public double TopP { get; init; } = 1.0;

    public double Temperature { get; init; } = 1.0;

    internal void Validate(int vocabSize, int contextLength)
    {
        foreach (var (name, id) in new[] { ("eos", (int?)EosTokenId), ("bos", BosTokenId), ("pad", PadTokenId) })
            if (id is int v && (v < 0 || v >= vocabSize))
                throw new ArgumentException($"genai_config.json: {name} token id {v} is outside the vocabulary 0..{vocabSize - 1}");
        if (MaxLength is int max && (max < 1 || max > contextLength))
            throw new ArgumentException($"genai_config.json: max_length {max} must be in 1..{contextLength} (the context length)");
        if (TopK < 1) throw new ArgumentException($"genai_config.json: top_k {TopK} must be at least 1");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"genai_config.json: top_p {TopP} must be in (0, 1]");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"genai_config.json: temperature {Temperature} must be a positive number");
    }
}
