using System.Text.Json;
using System.Text.Json.Serialization;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;

namespace SharpAttention.Cli.G2p;

/// <summary>
/// Everything that defines a grapheme-to-phoneme run: the encoder-decoder's shape and the training schedule. An
/// immutable record with named presets; `--config file.json` overrides any property by its JSON name (snake_case),
/// and the record is saved beside the model so `eval`, `predict` and `attend` rebuild the same network.
/// </summary>
public sealed record G2pRecipe
{
    /// <summary>The preset this recipe started from (informational).</summary>
    public string Preset { get; init; } = "full";

    public int DModel { get; init; } = 256;
    public int NumHeads { get; init; } = 4;
    public int NumEncoderLayers { get; init; } = 3;
    public int NumDecoderLayers { get; init; } = 3;
    public int DimFeedforward { get; init; } = 512;
    public double Dropout { get; init; } = 0.0;

    /// <summary>"sinusoidal" (Vaswani et al.) or "learned" position vectors added to the embeddings.</summary>
    public string Positions { get; init; } = "sinusoidal";

    /// <summary>Multiply embeddings by √d_model before adding positions (Vaswani et al. §3.4).</summary>
    public bool ScaleEmbeddings { get; init; } = true;

    /// <summary>Pre-LN layers train stably with a short warm-up; post-LN is the paper's layout.</summary>
    public bool NormFirst { get; init; } = true;

    /// <summary>Target-side label smoothing of the cross-entropy (Szegedy et al.; Vaswani et al. use 0.1).</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    public int Epochs { get; init; } = 21;

    /// <summary>Stop after this many optimizer steps even mid-epoch (null: run all epochs).</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Pronunciations per batch (batches are bucketed by length).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Data-parallel replicas: each step's length-bucketed batch is dealt into this many equally long micro-batches that
    /// run at once, one per core, their gradients summed (<see cref="Training.DataParallel"/>); 1 = one model whose
    /// kernels share the cores. With fewer cores than replicas the micro-batches take turns; with more, one model
    /// whose kernels use every core takes them in turn.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Peak learning rate of AdamW (β = 0.9, 0.98), reached after <see cref="WarmupSteps"/>, then cosine decay.</summary>
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; } = 1000;
    public double WeightDecay { get; init; } = 0.01;
    public double ClipGradNorm { get; init; } = 1.0;

    /// <summary>Decay of the exponential moving average of the weights that dev evaluation scores and the saved model
    /// keeps (null: the trained weights themselves).</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Beam width for `eval` and `predict` (1 = greedy).</summary>
    public int BeamWidth { get; init; } = 5;

    /// <summary>Dev words decoded (greedily) after each epoch to pick the best checkpoint; 0 = all.</summary>
    public int DevWords { get; init; } = 1000;

    public ulong Seed { get; init; } = 1234;

    /// <summary>Longest word or pronunciation the model accepts (positions table), bos/eos included.</summary>
    public int MaxLen { get; init; } = 64;

    /// <summary>The published recipe: 21 epochs on two data-parallel replicas, about 51 minutes on 2 cores (50 min 49 s
    /// measured, test WER 26.9 %).</summary>
    public static G2pRecipe Full => new() { Replicas = 2 };

    /// <summary>The README's main job: the full recipe's network for 2 epochs, about five and a half minutes on two cores.</summary>
    public static G2pRecipe Quick => new() { Preset = "quick", Epochs = 2, WarmupSteps = 600, DevWords = 1000, Replicas = 2 };

    /// <summary>A few steps on any data: the CLI's smoke tests.</summary>
    public static G2pRecipe Tiny => new()
    {
        Preset = "tiny", DModel = 32, NumHeads = 2, NumEncoderLayers = 1, NumDecoderLayers = 1, DimFeedforward = 64, Epochs = 2,
        BatchSize = 16, WarmupSteps = 5, LearningRate = 3e-3, BeamWidth = 2, DevWords = 50,
    };

    public static IReadOnlyList<string> PresetNames => ["quick", "full", "tiny"];

    /// <summary>What a saved recipe.json is read over: keys added since a run was saved take the behaviour the run
    /// had (no <see cref="Replicas"/> key: one model), so resuming an older run keeps its batches.</summary>
    public static G2pRecipe SavedBase => Full with { Replicas = 1 };

    public static G2pRecipe FromPreset(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        "tiny" => Tiny,
        _ => throw new CliException($"unknown preset '{name}': choose one of {string.Join(", ", PresetNames)}"),
    };

    /// <summary>The Seq2SeqTransformer this recipe trains.</summary>
    public Seq2SeqConfig ModelConfig(int srcVocabSize, int tgtVocabSize) => new(srcVocabSize, tgtVocabSize)
    {
        DModel = DModel, NumHeads = NumHeads, NumEncoderLayers = NumEncoderLayers, NumDecoderLayers = NumDecoderLayers,
        DimFeedforward = DimFeedforward, Dropout = Dropout, Activation = Activation.Relu, NormFirst = NormFirst, MaxLen = MaxLen,
        Positions = Positions == "learned" ? PositionEncoding.Learned : PositionEncoding.Sinusoidal, ScaleEmbeddings = ScaleEmbeddings,
        PadId = Text.Vocabulary.PadId,
    };

    /// <summary>Checks the values a JSON file could get wrong, naming the property.</summary>
    public G2pRecipe Validate()
    {
        void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new CliException($"recipe: {name} = {value} is invalid ({rule})");
        }
        Require(DModel > 0, "d_model", DModel, "must be positive");
        Require(NumHeads > 0 && DModel % NumHeads == 0, "num_heads", NumHeads, $"must divide d_model {DModel}");
        Require(NumEncoderLayers > 0, "num_encoder_layers", NumEncoderLayers, "must be positive");
        Require(NumDecoderLayers > 0, "num_decoder_layers", NumDecoderLayers, "must be positive");
        Require(DimFeedforward > 0, "dim_feedforward", DimFeedforward, "must be positive");
        Require(Positions is "sinusoidal" or "learned", "positions", Positions, "must be \"sinusoidal\" or \"learned\"");
        Require(Dropout is >= 0 and < 1, "dropout", Dropout, "must lie in [0, 1)");
        Require(LabelSmoothing is >= 0 and <= 1, "label_smoothing", LabelSmoothing, "must lie in [0, 1]");
        Require(Epochs > 0, "epochs", Epochs, "must be positive");
        Require(MaxSteps is null or > 0, "max_steps", MaxSteps!, "must be positive");
        Require(BatchSize > 0, "batch_size", BatchSize, "must be positive");
        Require(Replicas > 0 && BatchSize % Replicas == 0, "replicas", Replicas, $"must be positive and divide batch_size {BatchSize}");
        Require(LearningRate > 0, "learning_rate", LearningRate, "must be positive");
        Require(WarmupSteps >= 0, "warmup_steps", WarmupSteps, "must be ≥ 0");
        Require(WeightDecay >= 0, "weight_decay", WeightDecay, "must be ≥ 0");
        Require(EmaDecay is null or (>= 0 and < 1), "ema_decay", EmaDecay!, "must lie in [0, 1)");
        Require(ClipGradNorm > 0, "clip_grad_norm", ClipGradNorm, "must be positive");
        Require(BeamWidth > 0, "beam_width", BeamWidth, "must be positive");
        Require(DevWords >= 0, "dev_words", DevWords, "must be ≥ 0");
        Require(MaxLen >= 8, "max_len", MaxLen, "must be ≥ 8");
        return this;
    }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Applies a JSON file's properties over <paramref name="baseRecipe"/>: unknown keys and wrong types are
    /// errors that name the file and the key.</summary>
    public static G2pRecipe FromJsonFile(string path, G2pRecipe baseRecipe)
    {
        if (!File.Exists(path)) throw new CliException($"config file '{path}' does not exist");
        try
        {
            var overrides = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (overrides.RootElement.ValueKind != JsonValueKind.Object) throw new CliException($"config file '{path}': expected a JSON object");
            var merged = JsonSerializer.SerializeToNode(baseRecipe, Json)!.AsObject();
            foreach (var property in overrides.RootElement.EnumerateObject())
                merged[property.Name] = System.Text.Json.Nodes.JsonNode.Parse(property.Value.GetRawText());
            return merged.Deserialize<G2pRecipe>(Json)!.Validate();
        }
        catch (JsonException e)
        {
            throw new CliException($"config file '{path}': {e.Message}");
        }
    }
}
