using SharpAttention.Models;

namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// What <see cref="SequenceTagger.Train"/> does: the data, the model folder to write, the sub-token vocabulary (a
/// byte-level BPE trained on the training words), the character encoder, the encoder and how it is trained. Defaults
/// suit a small data set on a CPU.
/// </summary>
public sealed record SequenceTaggerOptions(TaggingSplit Data, string OutputDir)
{
    /// <summary>The encoder for a vocabulary size; vocabulary, padding id and maximum length are set from the options
    /// below whatever it says. Default: 2 layers of 64 (<see cref="EncoderConfig.Tiny"/>).</summary>
    public Func<int, EncoderConfig> Encoder { get; init; } = EncoderConfig.Tiny;

    /// <summary>BPE vocabulary size (special tokens and the 256 byte symbols included).</summary>
    public int VocabSize { get; init; } = 4000;

    /// <summary>Most tokens per row, [CLS] and [SEP] included; longer sentences are cut between words into several rows.</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Width of each character embedding of the <see cref="CharWordEncoder"/>; 0: no character encoder (the
    /// sub-tokens alone then carry the spelling).</summary>
    public int CharDim { get; init; } = 32;

    /// <summary>For BIO/BIOES tag sets: decode with <see cref="Decoding.Viterbi"/> under the scheme's transition rules
    /// (no I-X after O), so every prediction is a well-formed span sequence.</summary>
    public bool ConstrainedDecoding { get; init; } = true;

    public int Epochs { get; init; } = 10;

    /// <summary>Stop after this many optimizer steps even mid-epoch (null: run every epoch): a time budget for large corpora.</summary>
    public long? MaxSteps { get; init; }

    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Seeds initialisation, dropout and the batch order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Hears progress lines (tokenizer, epochs, results); null: silent.</summary>
    public Action<string>? Log { get; init; }
}
