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
        "d_model", "num_heads", ("num_encoder_layers", Bounds.Integers(1, 64)), ("num_decoder_layers", Bounds.Integers(1, 64)),
        "dim_feedforward", "dropout", "label_smoothing", "epochs", "max_steps", "batch_size", ("replicas", Bounds.Integers(1, 256)),
        "learning_rate", "warmup_steps", "weight_decay", ("ema_decay", new Bounds(0, 1, MaxOpen: true)), "clip_grad_norm",
        ("beam_width", Bounds.Integers(1, 256)), ("dev_words", Bounds.Integers(0, 10_000_000)), ("max_len", Bounds.Integers(8, 4096)));

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
