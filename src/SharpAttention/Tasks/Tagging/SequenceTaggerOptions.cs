using SharpAttention.Models;
using SharpAttention.Text;
using SharpAttention.Training;

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

    /// <summary>How words become token ids: <see cref="TokenizerKind.Bpe"/> (a byte-level BPE trained on the training
    /// words; a word may take several sub-tokens) or <see cref="TokenizerKind.Word"/> (one id per lower-cased word seen
    /// <see cref="MinWordFrequency"/> times, &lt;unk&gt; otherwise; the character encoder carries case and spelling) — the
    /// classic tagger input for pre-tokenized text, one position per word.</summary>
    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Bpe;

    /// <summary>Vocabulary size: the BPE's (special tokens and the 256 byte symbols included), or the word vocabulary's
    /// cap (most frequent words first).</summary>
    public int VocabSize { get; init; } = 4000;

    /// <summary>Word tokenizer: fewest sightings in training that earn a word its own id.</summary>
    public int MinWordFrequency { get; init; } = 2;

    /// <summary>During training, the chance that a word's token ids are replaced by &lt;unk&gt; (word dropout, Kiperwasser
    /// and Goldberg 2016): the model learns to tag from characters and context the words it will not know.</summary>
    public double WordDropout { get; init; }

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

    /// <summary>Peak learning rate of AdamW, reached after <see cref="WarmupSteps"/>, then cosine decay to 2 % of it
    /// over the epochs.</summary>
    public double LearningRate { get; init; } = 1e-3;

    public int WarmupSteps { get; init; }
    public double WeightDecay { get; init; } = 0.01;
    public double? ClipGradNorm { get; init; } = 1.0;

    /// <summary>Steps between checkpoints/last.safetensors saves (null: at epoch ends only).</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Continue an interrupted run from OutputDir/checkpoints/last.safetensors with the tokenizer and
    /// config.json it saved (the same weights as a run never interrupted); data and options must be those of the
    /// first run, except <see cref="Epochs"/>' stop and <see cref="MaxSteps"/>.</summary>
    public bool Resume { get; init; }

    /// <summary>Hears every optimizer step and the run's total steps (progress lines).</summary>
    public Action<StepEvent, long>? StepCompleted { get; init; }

    /// <summary>Hears each epoch's validation scores (valid_accuracy).</summary>
    public Action<EvaluationEvent>? Evaluated { get; init; }

    /// <summary>Seeds initialisation, dropout and the batch order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Hears progress lines (tokenizer, epochs, results); null: silent.</summary>
    public Action<string>? Log { get; init; }
}
