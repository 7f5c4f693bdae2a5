using System.Text.Json;
using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;

namespace SharpAttention.Tasks.G2p;

/// <summary>
/// Everything that defines a grapheme-to-phoneme run: the encoder-decoder's shape and the training schedule. An
/// immutable record with named presets, saved as recipe.json (snake_case keys) beside the model, so loading the folder
/// rebuilds the same network (`attn train g2p --config file.json` overrides any key by that name).
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

    /// <exception cref="ArgumentException">no preset has that name.</exception>
    public static G2pRecipe FromPreset(string name) => name switch
    {
        "quick" => Quick,
        "full" => Full,
        "tiny" => Tiny,
        _ => throw new ArgumentException($"unknown preset '{name}': choose one of {string.Join(", ", PresetNames)}", nameof(name)),
    };

    /// <summary>Data-parallel replicas that run at once on <paramref name="threads"/> cores: one per core; fewer cores
    /// than replicas take the micro-batches in turns, more cores than replicas serve one model whose kernels use them
    /// all (set replicas to the core count to run them as replicas instead).</summary>
    public int ConcurrentReplicas(int threads) => threads <= Replicas ? threads : 1;

    /// <summary>The Seq2SeqTransformer this recipe trains.</summary>
    public Seq2SeqConfig ModelConfig(int srcVocabSize, int tgtVocabSize) => new(srcVocabSize, tgtVocabSize)
    {
        DModel = DModel, NumHeads = NumHeads, NumEncoderLayers = NumEncoderLayers, NumDecoderLayers = NumDecoderLayers,
        DimFeedforward = DimFeedforward, Dropout = Dropout, Activation = Activation.Relu, NormFirst = NormFirst, MaxLen = MaxLen,
        Positions = Positions == "learned" ? PositionEncoding.Learned : PositionEncoding.Sinusoidal, ScaleEmbeddings = ScaleEmbeddings,
        PadId = Text.Vocabulary.PadId,
    };

    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);

    /// <summary>Reads a recipe.json. A key it lacks takes the record's default, which is <see cref="SavedBase"/>'s.</summary>
    /// <exception cref="DataFormatException">the file is not a JSON object of recipe keys; names the file and line.</exception>
    public static G2pRecipe Load(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<G2pRecipe>(stream, RecipeJson.Options)
                ?? throw new DataFormatException(path, null, "expected a JSON object of recipe keys, got null");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, e.LineNumber is long line ? (int)line + 1 : null, $"not a G2P recipe ({e.Message})", e);
        }
    }
}
