using System.Text.Json;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Tasks.LanguageModeling;

namespace SharpAttention.Cli.LanguageModeling;

/// <summary>
/// Everything that defines a language-modelling run: the tokenizer, the decoder's shape, the context and the schedule.
/// An immutable record with presets (tiny, quick, full) and the published recipe brown-lm (Bengio et al. 2003's Brown
/// protocol, ../shared/DATA.md); `--config file.json` overrides any key (snake_case), and the record is saved as
/// recipe.json beside the model, so `--resume` continues the same run and `eval lm` without --data knows the data.
/// </summary>
public sealed record LmRecipe : ITaskRecipe<LmRecipe>
{
    public LmRecipe WithSchedule(int epochs, long? maxSteps) => this with { Epochs = epochs, MaxSteps = maxSteps };

    /// <summary>The preset or recipe this record started from (informational).</summary>
    public string Preset { get; init; } = "quick";

    /// <summary>The published data set the recipe trains on ("brown-lm"); null: the user's --data.</summary>
    public string? Recipe { get; init; }

    /// <summary>"bpe" (byte-level, any text) or "word" (whitespace-separated words, rare ones → &lt;unk&gt;).</summary>
    public string Tokenizer { get; init; } = "bpe";

    /// <summary>BPE vocabulary size; for words a cap (null: every word seen min_frequency times).</summary>
    public int? VocabSize { get; init; } = 8000;

    /// <summary>Words: fewest sightings that give a word its own id.</summary>
    public int MinFrequency { get; init; } = 1;

    /// <summary>Where a document ends in --data: "paragraph" (blank lines) or "file".</summary>
    public string Documents { get; init; } = "paragraph";

    /// <summary>Tokens per training block and evaluation window.</summary>
    public int Context { get; init; } = 128;

    public int DModel { get; init; } = 256;
    public int NumHeads { get; init; } = 4;
    public int NumLayers { get; init; } = 4;

    /// <summary>Feed-forward width (SwiGLU: about 8/3 × d_model keeps GELU's 4 × d_model parameter count).</summary>
    public int DimFeedforward { get; init; } = 688;
    public double Dropout { get; init; } = 0.1;

    /// <summary>"rotary" (RoPE), "learned" (GPT-2) or "alibi" (Press et al. 2022).</summary>
    public string Positions { get; init; } = "rotary";

    public int Epochs { get; init; } = 10;

    /// <summary>Stop after this many optimizer steps (null: all epochs); the schedule still spans all epochs.</summary>
    public long? MaxSteps { get; init; }

    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.1;
    public double ClipGradNorm { get; init; } = 1.0;

    /// <summary>Stride of the sliding window of the final perplexities (null: context / 2).</summary>
    public int? EvalStride { get; init; }

    /// <summary>Shares of --data's documents for validation and test when --valid / --test are not given.</summary>
    public double ValidShare { get; init; } = 0.05;
    public double TestShare { get; init; } = 0.05;

    /// <summary>Seeds the split, initialisation, dropout and the block order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>4 layers of 256, 8,000 BPE tokens, 128-token context: minutes per megabyte of text on a CPU.</summary>
    public static LmRecipe Quick => new();

    /// <summary>6 layers of 384, 16,000 BPE tokens, 256-token context.</summary>
    public static LmRecipe Full => new()
    {
        Preset = "full", VocabSize = 16000, Context = 256, DModel = 384, NumHeads = 6, NumLayers = 6, DimFeedforward = 1024, Epochs = 10,
        LearningRate = 6e-4, WarmupSteps = 200,
    };

    /// <summary>Seconds on toy data: the CLI's tests.</summary>
    public static LmRecipe Tiny => new()
    {
        Preset = "tiny", VocabSize = 300, Context = 32, DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0,
        Epochs = 4, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5, ValidShare = 0.2, TestShare = 0.2,
    };

    /// <summary>Bengio et al. 2003's Brown protocol (DATA.md): 800k / 200k / rest tokens, words seen ≤ 3 times → &lt;unk&gt;
    /// (counted over training and validation parts: 16,417 words, the paper's ≈ 16,383), no document separators.</summary>
    public static LmRecipe BrownLm => new()
    {
        Preset = "brown-lm", Recipe = "brown-lm", Tokenizer = "word", VocabSize = null, MinFrequency = 4, Context = 128,
        DModel = 256, NumHeads = 4, NumLayers = 4, DimFeedforward = 688, Dropout = 0.3, Epochs = 12, BatchSize = 32,
        LearningRate = 1e-3, WarmupSteps = 200, WeightDecay = 0.1, EvalStride = 64,
    };

    public static IReadOnlyList<string> PresetNames => ["quick", "full", "tiny"];
    public static IReadOnlyList<string> RecipeNames => ["brown-lm"];

    public static LmRecipe FromPreset(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        "tiny" => Tiny,
        "brown-lm" => BrownLm,
        _ => throw new CliException($"unknown preset {Shown.Quote(name)}: choose one of {string.Join(", ", PresetNames.Concat(RecipeNames))}"),
    };

    static readonly RecipeKeys<LmRecipe> NumericKeys = new(
        ("vocab_size", Bounds.Integers(260, 1_000_000)), ("min_frequency", Bounds.Integers(1, 1_000_000)), ("context", Bounds.Integers(2, 8192)),
        "d_model", "num_heads", "num_layers", "dim_feedforward", "dropout",
        "epochs", "max_steps", "batch_size", "learning_rate", "warmup_steps", "weight_decay", "clip_grad_norm",
        ("eval_stride", Bounds.Integers(1, 8192)), ("valid_share", new Bounds(0, 0.5)), ("test_share", new Bounds(0, 0.5)));

    /// <summary>Every numeric key with its range, in the README's order.</summary>
    public static IEnumerable<(string Key, Bounds Range)> KeyRanges => NumericKeys.Ranges;

    public static Bounds RangeOf(string key) => NumericKeys.RangeOf(key);

    /// <summary>Checks every key against its range, then the keys that must agree, naming the key.</summary>
    public LmRecipe Validate()
    {
        NumericKeys.Check(this);
        Check.Keys(DModel % NumHeads == 0, $"num_heads = {NumHeads} must divide d_model = {DModel}", "num_heads", "d_model");
        Check.Keys(Positions != "rotary" || DModel / NumHeads % 2 == 0, $"rotary positions need an even head width; d_model / num_heads = {DModel / NumHeads}", "positions", "d_model", "num_heads");
        Check.Keys(EvalStride is null || EvalStride <= Context, $"eval_stride = {EvalStride} must not exceed context = {Context}", "eval_stride", "context");
        Check.Keys(Tokenizer is "bpe" or "word", $"tokenizer = {Shown.Quote(Tokenizer ?? "null")} must be bpe or word", "tokenizer");
        Check.Keys(Tokenizer != "bpe" || VocabSize != null, "vocab_size must be set for a BPE tokenizer", "vocab_size");
        Check.Keys(Positions is "rotary" or "learned" or "alibi", $"positions = {Shown.Quote(Positions ?? "null")} must be rotary, learned or alibi", "positions");
        Check.Keys(Documents is "paragraph" or "file", $"documents = {Shown.Quote(Documents ?? "null")} must be paragraph or file", "documents");
        Check.Keys(Recipe is null || RecipeNames.Contains(Recipe), $"recipe = {Shown.Quote(Recipe ?? "")} must be null or one of {string.Join(", ", RecipeNames)}", "recipe");
        return this;
    }

    public DocumentSplit DocumentSplit => Documents == "file" ? DocumentSplit.File : DocumentSplit.BlankLine;

    /// <summary>The library's options for this recipe on <paramref name="data"/>, writing <paramref name="folder"/>.</summary>
    public LanguageModelOptions Options(LanguageModelCorpus data, string folder) => new(data, folder)
    {
        Decoder = vocab => new CausalLMConfig(vocab)
        {
            DModel = DModel, NumHeads = NumHeads, NumLayers = NumLayers, DimFeedforward = DimFeedforward, Dropout = Dropout,
            Positions = Positions switch { "learned" => PositionEncoding.Learned, "alibi" => PositionEncoding.Alibi, _ => PositionEncoding.Rotary },
        },
        Tokenizer = Tokenizer == "word" ? LmTokenizer.Word : LmTokenizer.Bpe, VocabSize = VocabSize, MinFrequency = MinFrequency,
        VocabularyIncludesValid = Recipe == "brown-lm", EndOfText = Recipe != "brown-lm",
        Context = Context, EvalStride = EvalStride, Epochs = Epochs, MaxSteps = MaxSteps, BatchSize = BatchSize, LearningRate = LearningRate,
        WarmupSteps = WarmupSteps, WeightDecay = WeightDecay, ClipGradNorm = ClipGradNorm, Seed = Seed,
    };

    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);

    /// <summary>Applies a JSON file's keys over <paramref name="baseRecipe"/> and validates the result.</summary>
    public static LmRecipe FromJsonFile(string path, LmRecipe baseRecipe) => JsonConfig.Read(path, baseRecipe, RecipeJson.Options, r => r.Validate());
}
