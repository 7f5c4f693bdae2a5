using SharpAttention.Tensors;

namespace SharpAttention.Autograd;

/// <summary>
/// The gradients one backward pass delivers to leaves (and to retained non-leaves): summed per tensor while the pass
/// runs, written to .Grad when it has finished (PyTorch's AccumulateGrad).
/// <para>A tensor without a .Grad takes its gradient itself, not a copy — PyTorch "steals" a gradient nothing else
/// references — when nobody else can see that buffer: it was made during this pass (its storage belongs to the pass's
/// scope, so it is neither the caller's gradient nor a tensor forward saved), it is the whole of a dense buffer (not a
/// view of a larger one or a broadcast), and no other tensor's gradient of this pass shares the buffer (x + y hands the
/// same tensor to both). A sum of several gradients is made here, so it is always private. Everything else is copied.</para>
/// <para>Writing .Grad only at the end matters: until every node has run, a gradient handed to a leaf may also be a
/// node's pending input, so .Grad must not be added into in place before then.</para>
/// </summary>
internal sealed class LeafGrads
{
    record struct Entry(Tensor Target, Tensor Grad, bool Private);

    readonly Dictionary<Tensor, int> index = new(ReferenceEqualityComparer.Instance);
    readonly List<Entry> entries = [];
    readonly HashSet<Storage> taken = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds gradient <paramref name="g"/> of <paramref name="target"/> (its shape).</summary>
    public void Add(Tensor target, Tensor g)
    {
        if (!index.TryGetValue(target, out int i))
        {
            index.Add(target, entries.Count);
            entries.Add(new Entry(target, g, Private: false));
            return;
        }
        var e = entries[i];
        if (e.Private) e.Grad.Add_(g);
        else entries[i] = e with { Grad = e.Grad.Add(g), Private = true };
    }

    /// <summary>Accumulates every gradient into its tensor's .Grad; <paramref name="pass"/> is the scope holding the
    /// pass's temporaries.</summary>
    public void Apply(TensorScope pass)
    {
        foreach (var (target, g, isPrivate) in entries)
        {
            if (target.Grad is { } existing)
            {
                existing.Add_(g);
                continue;
            }
            var grad = isPrivate || CanTake(g, pass) ? g : g.Clone();
            grad.Storage.Unscope();
            grad.Storage.IsEngineGrad = true;
            target.Grad = grad;
        }
    }

    bool CanTake(Tensor g, TensorScope pass) =>
        g.Storage.Scope == pass && g.Offset == 0 && g.IsContiguous && g.NumEl == g.Storage.Length && taken.Add(g.Storage);

    public void Clear()
    {
        index.Clear();
        entries.Clear();
        taken.Clear();
    }
}
