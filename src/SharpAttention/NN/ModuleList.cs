namespace SharpAttention.NN;

/// <summary>
/// An indexed list of child modules (PyTorch's torch.nn.ModuleList): entry i is registered under the name "i", so its
/// state_dict keys read "layers.0.linear1.weight" when the list itself is registered as "layers".
/// </summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    readonly List<T> items = [];

    public ModuleList(IEnumerable<T>? modules = null)
    {
        if (modules != null)
            foreach (var m in modules) Append(m);
    }

    public int Count => items.Count;

    public T this[int index] => items[index];

    /// <summary>Adds <paramref name="module"/> as the next entry, named by its index.</summary>
    public ModuleList<T> Append(T module)
    {
        RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        items.Add(module);
        return this;
    }

    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
