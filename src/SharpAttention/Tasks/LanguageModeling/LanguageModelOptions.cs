using SharpAttention.Models;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>How the text to model comes in: documents (plain strings, enumerated lazily and more than once: once to
/// train the tokenizer, once to tokenize), the training part and optional validation and test parts.</summary>
/// <param name="Train">training documents</param>
/// <param name="Valid">validation documents (perplexity after each epoch, best checkpoint), or empty</param>
/// <param name="Test">test documents (perplexity in results.json), or empty</param>
public sealed record LanguageModelCorpus(IEnumerable<string> Train, IEnumerable<string> Valid, IEnumerable<string> Test);

/// <summary>The tokenizer a language model trains for itself.</summary>
public enum LmTokenizer
{
    /// <summary>Byte-level BPE (GPT-2): no unknown token, any text.</summary>
    Bpe,

    /// <summary>Whitespace-separated words, rare ones mapped to &lt;unk&gt; (the Brown protocol of Bengio et al. 2003).</summary>
    Word,
}

/// <summary>
/// What <see cref="LanguageModel.Train"/> does: the corpus, the model folder to write, the tokenizer, the decoder and
/// its schedule (AdamW, linear warm-up then cosine decay to 2 % of the peak). Defaults suit a few megabytes of text
/// on a CPU.
/// </summary>
public sealed record LanguageModelOptions(LanguageModelCorpus Data, string OutputDir)
{
    /// <summary>The decoder for a vocabulary size; vocabulary and max_len are set from the options whatever it says.
    /// Default: pre-LN, RoPE, SwiGLU, RMSNorm, tied embeddings, 4 layers of 256 (<see cref="CausalLMConfig"/>).</summary>
    public Func<int, CausalLMConfig> Decoder { get; init; } = vocab => new CausalLMConfig(vocab);

    public LmTokenizer Tokenizer { get; init; } = LmTokenizer.Bpe;

    /// <summary>BPE vocabulary size (specials and the 256 byte symbols included); for words, a cap (null: none).</summary>
    public int? VocabSize { get; init; } = 8000;

    /// <summary>Words: fewest sightings that earn a word its own id ("seen ≤ 3 times → unknown" is 4).</summary>
    public int MinFrequency { get; init; } = 1;

    /// <summary>Count the tokenizer's vocabulary over the validation part too (Bengio et al.'s 16,383 Brown words).</summary>
    public bool VocabularyIncludesValid { get; init; }

    /// <summary>Append the end-of-text token after every document (so generation learns to stop).</summary>
    public bool EndOfText { get; init; } = true;

    /// <summary>Tokens per training block (C); also the evaluation window.</summary>
    public int Context { get; init; } = 128;

    /// <summary>Stride of the sliding window of the final validation and test perplexity (null: Context / 2).</summary>
    public int? EvalStride { get; init; }

    public int Epochs { get; init; } = 10;

    /// <summary>Stop after this many optimizer steps even mid-epoch; the schedule still spans all epochs.</summary>
    public long? MaxSteps { get; init; }

    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.1;
    public double? ClipGradNorm { get; init; } = 1.0;

    /// <summary>With validation data: stop after this many epochs without a lower validation perplexity (null: never).</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Steps between checkpoints/last.safetensors saves (null: epoch ends only).</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Continue the run in OutputDir from checkpoints/last.safetensors, with its tokenizer, token files and config.</summary>
    public bool Resume { get; init; }

    /// <summary>Seeds initialisation, dropout and the block order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Hears every optimizer step and the run's total steps.</summary>
    public Action<Training.StepEvent, long>? StepCompleted { get; init; }

    /// <summary>Hears each epoch's validation scores (valid_loss, valid_perplexity).</summary>
    public Action<Training.EvaluationEvent>? Evaluated { get; init; }

    /// <summary>Hears progress lines; null: silent.</summary>
    public Action<string>? Log { get; init; }
}
