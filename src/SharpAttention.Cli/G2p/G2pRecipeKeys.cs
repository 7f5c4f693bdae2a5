using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Tasks.G2p;

namespace SharpAttention.Cli.G2p;

/// <summary>`attn`'s contract for the library's <see cref="G2pRecipe"/>: the documented range of every numeric key,
/// the keys that must agree, and --config / recipe.json read with every error naming the file and the key's line.</summary>
public static class G2pRecipeKeys
{
    /// <summary>Checked in this order (README: "Config keys"); the flags that override a key (--epochs, --max-steps,
    /// --beam) take the key's range.</summary>
    static readonly RecipeKeys<G2pRecipe> NumericKeys = new(
        ("d_model", Bounds.Integers(1, 4096), r => r.DModel),
        ("num_heads", Bounds.Integers(1, 256), r => r.NumHeads),
        ("num_encoder_layers", Bounds.Integers(1, 64), r => r.NumEncoderLayers),
        ("num_decoder_layers", Bounds.Integers(1, 64), r => r.NumDecoderLayers),
        ("dim_feedforward", Bounds.Integers(1, 65536), r => r.DimFeedforward),
        ("dropout", new(0, 1, MaxOpen: true), r => r.Dropout),
        ("label_smoothing", new(0, 1), r => r.LabelSmoothing),
        ("epochs", Bounds.Integers(1, 100_000), r => r.Epochs),
        ("max_steps", Bounds.Integers(1, 1_000_000_000), r => r.MaxSteps),
        ("batch_size", Bounds.Integers(1, 65536), r => r.BatchSize),
        ("replicas", Bounds.Integers(1, 256), r => r.Replicas),
        ("learning_rate", Bounds.Positive, r => r.LearningRate),
        ("warmup_steps", Bounds.Integers(0, 1_000_000_000), r => r.WarmupSteps),
        ("weight_decay", new(0, 1), r => r.WeightDecay),
        ("ema_decay", new(0, 1, MaxOpen: true), r => r.EmaDecay),
        ("clip_grad_norm", Bounds.Positive, r => r.ClipGradNorm),
        ("beam_width", Bounds.Integers(1, 256), r => r.BeamWidth),
        ("dev_words", Bounds.Integers(0, 10_000_000), r => r.DevWords),
        ("max_len", Bounds.Integers(8, 4096), r => r.MaxLen));

    /// <summary>Every numeric key with its range, in the README's order.</summary>
    public static IEnumerable<(string Key, Bounds Range)> KeyRanges => NumericKeys.Ranges;

    public static Bounds RangeOf(string key) => NumericKeys.RangeOf(key);

    /// <summary>Checks every key against its range, then the keys that must agree, naming the key: before any work starts.</summary>
    public static G2pRecipe Validate(G2pRecipe recipe)
    {
        NumericKeys.Check(recipe);
        Check.Keys(recipe.DModel % recipe.NumHeads == 0, $"num_heads = {recipe.NumHeads} must divide d_model = {recipe.DModel}", "num_heads", "d_model");
        Check.Keys(recipe.BatchSize % recipe.Replicas == 0, $"replicas = {recipe.Replicas} must divide batch_size = {recipe.BatchSize}", "replicas", "batch_size");
        Check.Keys(recipe.Positions is "sinusoidal" or "learned", $"positions = {Shown.Quote(recipe.Positions ?? "null")} must be \"sinusoidal\" or \"learned\"", "positions");
        return recipe;
    }

    /// <summary>Applies a JSON file's keys over <paramref name="baseRecipe"/> and validates the result; every error names
    /// the file and the line of the key (<see cref="JsonConfig"/>).</summary>
    public static G2pRecipe FromJsonFile(string path, G2pRecipe baseRecipe) => JsonConfig.Read(path, baseRecipe, RecipeJson.Options, Validate);
}
