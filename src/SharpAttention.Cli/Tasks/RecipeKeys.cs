using System.Reflection;
using System.Text.Json;
using SharpAttention.Cli.Contract;

namespace SharpAttention.Cli.Tasks;

/// <summary>A row of a recipe's key table: a key with its own range, or (written as the bare key name) one of the
/// <see cref="SharedKeys"/>, whose range is the same in every task.</summary>
public sealed record RecipeKey(string Name, Bounds? Range = null)
{
    public static implicit operator RecipeKey(string sharedKey) => new(sharedKey);

    public static implicit operator RecipeKey((string Name, Bounds Range) key) => new(key.Name, key.Range);
}

/// <summary>The ranges of the keys several tasks' recipes share (the network's size and the schedule): one place, so
/// a d_model or a learning rate is checked and documented alike in every task.</summary>
public static class SharedKeys
{
    public static IReadOnlyDictionary<string, Bounds> Ranges { get; } = new Dictionary<string, Bounds>(StringComparer.Ordinal)
    {
        ["d_model"] = Bounds.Integers(1, 4096),
        ["num_heads"] = Bounds.Integers(1, 256),
        ["num_layers"] = Bounds.Integers(1, 64),
        ["dim_feedforward"] = Bounds.Integers(1, 65536),
        ["dropout"] = new(0, 1, MaxOpen: true),
        ["label_smoothing"] = new(0, 1),
        ["epochs"] = Bounds.Integers(1, 100_000),
        ["max_steps"] = Bounds.Integers(1, 1_000_000_000),
        ["batch_size"] = Bounds.Integers(1, 65536),
        ["learning_rate"] = Bounds.Positive,
        ["warmup_steps"] = Bounds.Integers(0, 1_000_000_000),
        ["weight_decay"] = new(0, 1),
        ["clip_grad_norm"] = Bounds.Positive,
    };
}

/// <summary>A recipe's numeric keys with their documented ranges: one table gives the checks, the flags' ranges and
/// the README's rows. A key's value is read from the record's property of that JSON name (<see cref="RecipeJson"/>:
/// d_model is DModel). ClassifyRecipe still spells out each row with its range and getter (the three-part
/// constructor); it can move to the shared ranges like the others.</summary>
public sealed class RecipeKeys<T>
{
    readonly (string Key, Bounds Range, Func<T, double?> Value)[] keys;

    public RecipeKeys(params (string Key, Bounds Range, Func<T, double?> Value)[] keys) => this.keys = keys;

    /// <exception cref="ArgumentException">a key names no numeric property of the record, or a bare key is not shared.</exception>
    public RecipeKeys(params RecipeKey[] keys)
    {
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), StringComparer.Ordinal);
        this.keys = [.. keys.Select(k =>
        {
            if (!properties.TryGetValue(k.Name, out var property)) throw new ArgumentException($"{typeof(T).Name} has no key {k.Name}");
            var range = k.Range ?? (SharedKeys.Ranges.TryGetValue(k.Name, out var shared) ? shared
                : throw new ArgumentException($"{typeof(T).Name}: key {k.Name} is not shared by the tasks; give its range"));
            return (k.Name, range, Getter(property));
        })];
    }

    static Func<T, double?> Getter(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type != typeof(int) && type != typeof(long) && type != typeof(ulong) && type != typeof(double))
            throw new ArgumentException($"{typeof(T).Name}.{property.Name} is not a number");
        return recipe => property.GetValue(recipe) is { } value ? Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Every key with its range, in the table's order.</summary>
    public IEnumerable<(string Key, Bounds Range)> Ranges => keys.Select(k => (k.Key, k.Range));

    public Bounds RangeOf(string key) => keys.Single(k => k.Key == key).Range;

    /// <summary>Refuses the first key of <paramref name="recipe"/> outside its range (<see cref="ConfigKeyException"/>).</summary>
    public void Check(T recipe)
    {
        foreach (var (key, range, value) in keys) Contract.Check.Key(key, value(recipe), range);
    }
}
