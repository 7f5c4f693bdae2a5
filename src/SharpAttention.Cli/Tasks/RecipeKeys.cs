using SharpAttention.Cli.Contract;

namespace SharpAttention.Cli.Tasks;

/// <summary>A recipe's numeric keys with their documented ranges: one table gives the checks, the flags' ranges and
/// the README's rows.</summary>
public sealed class RecipeKeys<T>(params (string Key, Bounds Range, Func<T, double?> Value)[] keys)
{
    /// <summary>Every key with its range, in the table's order.</summary>
    public IEnumerable<(string Key, Bounds Range)> Ranges => keys.Select(k => (k.Key, k.Range));

    public Bounds RangeOf(string key) => keys.Single(k => k.Key == key).Range;

    /// <summary>Refuses the first key of <paramref name="recipe"/> outside its range (<see cref="ConfigKeyException"/>).</summary>
    public void Check(T recipe)
    {
        foreach (var (key, range, value) in keys) Contract.Check.Key(key, value(recipe), range);
    }
}
