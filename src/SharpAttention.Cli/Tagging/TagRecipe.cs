using System.Text.Json;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Tasks.Tagging;
using SharpAttention.Text;

namespace SharpAttention.Cli.Tagging;

/// <summary>
/// Everything that defines a sequence-tagging run: how words become ids (a BPE or a word vocabulary), the character
/// encoder, the encoder's shape, word dropout and the schedule. An immutable record with presets (tiny, quick, full)
/// and a published recipe (brown-pos: DATA.md's Brown protocol); `--config file.json` overrides any key (snake_case),
/// and the record is saved as recipe.json beside the model, so `--resume` continues the same run and `eval` without
/// --data knows the recipe's data.
/// </summary>
public sealed record TagRecipe : ITaskRecipe<TagRecipe>
{
    public TagRecipe WithSchedule(int epochs, long? maxSteps) => this with { Epochs = epochs, MaxSteps = maxSteps };

    /// <summary>The preset or recipe this record started from (informational).</summary>
    public string Preset { get; init; } = "quick";

    /// <summary>The published data set the recipe trains on ("brown-pos"); null: the user's --data.</summary>
    public string? Recipe { get; init; }

    /// <summary>"bpe" (sub-tokens of a byte-level BPE) or "word" (one id per lower-cased word, &lt;unk&gt; for rare ones).</summary>
    public string Tokenizer { get; init; } = "bpe";

    /// <summary>BPE size, or the word vocabulary's cap.</summary>
    public int VocabSize { get; init; } = 4000;

    /// <summary>Word tokenizer: fewest sightings that earn a word its own id.</summary>
    public int MinWordFrequency { get; init; } = 2;

    /// <summary>Most tokens per row, &lt;s&gt; and &lt;/s&gt; included; longer sentences are cut between words.</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Width of each character embedding of the per-word character CNN; 0: none.</summary>
    public int CharDim { get; init; } = 32;

    public int DModel { get; init; } = 128;
    public int NumHeads { get; init; } = 4;
    public int NumLayers { get; init; } = 2;
    public int DimFeedforward { get; init; } = 512;

    /// <summary>"learned", "sinusoidal" or "rotary" (relative: RoPE inside attention).</summary>
    public string Positions { get; init; } = "learned";

    public double Dropout { get; init; } = 0.1;

    /// <summary>Chance a training word's ids become &lt;unk&gt; (its characters stay): teaches unseen words.</summary>
    public double WordDropout { get; init; } = 0.05;

    /// <summary>BIO/BIOES tag sets: Viterbi decoding under the scheme's rules (no I-X after O). Ignored for plain tags.</summary>
    public bool Constrained { get; init; } = true;

    /// <summary>brown-pos: hold out the training files with index ≡ 8 (mod 10) as validation (for choosing settings;
    /// the published recipe trains on all nine tenths).</summary>
    public bool DevSplit { get; init; }

    /// <summary>Shares of --data by sentence when --valid/--test are not given: train/valid/test or train/test.</summary>
    public string Split { get; init; } = "80/10/10";

    public int Epochs { get; init; } = 10;

    /// <summary>Stop after this many optimizer steps even mid-epoch (null: run all epochs).</summary>
    public long? MaxSteps { get; init; }

    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate of AdamW, after <see cref="WarmupSteps"/>, then cosine decay.</summary>
    public double LearningRate { get; init; } = 1e-3;

    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.01;
    public double ClipGradNorm { get; init; } = 1.0;

    /// <summary>Seeds the split, initialisation, dropout and batch order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>4 layers of 256 with a word vocabulary: for corpora of a million words.</summary>
    public static TagRecipe Full => new()
    {
        Preset = "full", Tokenizer = "word", VocabSize = 50_000, DModel = 256, NumHeads = 8, NumLayers = 4, DimFeedforward = 1024,
        Positions = "rotary", Epochs = 10, LearningRate = 5e-4, WarmupSteps = 500,
    };

    /// <summary>2 layers of 128 over BPE sub-tokens and characters: minutes on a CPU for tens of thousands of words.</summary>
    public static TagRecipe Quick => new();

    /// <summary>Seconds on toy data: the CLI's smoke tests.</summary>
    public static TagRecipe Tiny => new()
    {
        Preset = "tiny", VocabSize = 300, MaxLength = 64, CharDim = 16, DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64,
        Dropout = 0.0, WordDropout = 0.0, Epochs = 15, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 5,
    };

    /// <summary>Brown part of speech by DATA.md (original tagset, files ≡ 9 mod 10 as test): one position per word
    /// (lower-cased words seen twice, a character CNN for spelling and case), a bidirectional encoder with rotary
    /// (relative) positions, word dropout for the unseen words; 16 epochs, about 48 CPU-minutes (25–30 minutes on 2 idle
    /// cores). README, "Sequence tagging", says how it was chosen and what it measured.</summary>
    public static TagRecipe BrownPos => new()
    {
        Preset = "brown-pos", Recipe = "brown-pos", Tokenizer = "word", VocabSize = 50_000, MinWordFrequency = 2, MaxLength = 192, CharDim = 32,
        DModel = 192, NumHeads = 4, NumLayers = 3, DimFeedforward = 768, Positions = "rotary", Dropout = 0.1, WordDropout = 0.05,
        Epochs = 16, BatchSize = 32, LearningRate = 1e-3, WarmupSteps = 500,
    };

    public static IReadOnlyList<string> PresetNames => ["quick", "full", "tiny"];
    public static IReadOnlyList<string> RecipeNames => ["brown-pos"];
    public static IReadOnlyList<string> TokenizerNames => ["bpe", "word"];
    public static IReadOnlyList<string> PositionNames => ["learned", "sinusoidal", "rotary"];

    public static TagRecipe FromPreset(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        "tiny" => Tiny,
        "brown-pos" => BrownPos,
        _ => throw new CliException($"unknown preset {Shown.Quote(name)}: choose one of {string.Join(", ", PresetNames.Concat(RecipeNames))}"),
    };

    static readonly RecipeKeys<TagRecipe> NumericKeys = new(
        ("vocab_size", Bounds.Integers(8, 10_000_000)), ("min_word_frequency", Bounds.Integers(1, 1_000_000)),
        ("max_length", Bounds.Integers(10, 8192)), ("char_dim", Bounds.Integers(0, 1024)),
        "d_model", "num_heads", "num_layers", "dim_feedforward", "dropout", ("word_dropout", new Bounds(0, 1, MaxOpen: true)),
        "epochs", "max_steps", "batch_size", "learning_rate", "warmup_steps", "weight_decay", "clip_grad_norm");

    /// <summary>Every numeric key with its range, in the README's order.</summary>
    public static IEnumerable<(string Key, Bounds Range)> KeyRanges => NumericKeys.Ranges;

    public static Bounds RangeOf(string key) => NumericKeys.RangeOf(key);

    /// <summary>Checks every key against its range, then the keys that must agree, naming the key.</summary>
    public TagRecipe Validate()
    {
        NumericKeys.Check(this);
        Check.Keys(DModel % NumHeads == 0, $"num_heads = {NumHeads} must divide d_model = {DModel}", "num_heads", "d_model");
        Check.Keys(Positions != "rotary" || DModel / NumHeads % 2 == 0, $"rotary positions need an even head width; d_model / num_heads = {DModel / NumHeads}", "positions", "num_heads");
        Check.Keys(TokenizerNames.Contains(Tokenizer), $"tokenizer = {Shown.Quote(Tokenizer ?? "null")} must be one of {string.Join(", ", TokenizerNames)}", "tokenizer");
        Check.Keys(Tokenizer != "bpe" || VocabSize >= 260, $"vocab_size = {VocabSize}: a BPE needs at least 260 (256 bytes and the special tokens)", "vocab_size", "tokenizer");
        Check.Keys(PositionNames.Contains(Positions), $"positions = {Shown.Quote(Positions ?? "null")} must be one of {string.Join(", ", PositionNames)}", "positions");
        Check.Keys(Recipe is null || RecipeNames.Contains(Recipe), $"recipe = {Shown.Quote(Recipe ?? "")} must be null or one of {string.Join(", ", RecipeNames)}", "recipe");
        Check.Keys(!DevSplit || Recipe != null, "dev_split carves a validation part from a recipe's training files; with your own data give --valid or --split", "dev_split");
        UserSplit.CheckKey(Split);
        return this;
    }

    /// <summary>The library's options for this recipe on <paramref name="data"/>, writing <paramref name="folder"/>.</summary>
    public SequenceTaggerOptions Options(TaggingSplit data, string folder) => new(data, folder)
    {
        Encoder = vocab => new EncoderConfig(vocab)
        {
            DModel = DModel, NumHeads = NumHeads, NumLayers = NumLayers, DimFeedforward = DimFeedforward, Dropout = Dropout,
            Positions = Enum.Parse<PositionEncoding>(Positions, ignoreCase: true),
        },
        Tokenizer = Tokenizer == "word" ? TokenizerKind.Word : TokenizerKind.Bpe, VocabSize = VocabSize, MinWordFrequency = MinWordFrequency,
        MaxLength = MaxLength, CharDim = CharDim, ConstrainedDecoding = Constrained, WordDropout = WordDropout,
        Epochs = Epochs, MaxSteps = MaxSteps, BatchSize = BatchSize, LearningRate = LearningRate, WarmupSteps = WarmupSteps,
        WeightDecay = WeightDecay, ClipGradNorm = ClipGradNorm, Seed = Seed,
    };

    static JsonSerializerOptions Json => RecipeJson.Options;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Applies a JSON file's keys over <paramref name="baseRecipe"/> and validates the result (errors name the
    /// file and the key's line).</summary>
    public static TagRecipe FromJsonFile(string path, TagRecipe baseRecipe) => JsonConfig.Read(path, baseRecipe, Json, r => r.Validate());
}
