using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// The region a model's top-level forward runs in: with gradients off (<see cref="GradMode.NoGrad"/>) it is a
/// <see cref="TensorScope"/> that hands every intermediate's storage back to the pool when the forward returns, and
/// keeps only what the forward returns (<see cref="Keep"/>); with gradients on it does nothing, since the autograd graph
/// holds the intermediates for backward. So the PyTorch idiom <c>using (GradMode.NoGrad()) logits = model.Forward(ids);</c>
/// in a loop reuses the same buffers call after call, as torch's caching allocator does by reference counting, instead
/// of taking fresh memory from the GC each call (the <c>classify</c> benchmark's model ran at half speed that way: its
/// time went to page faults on never-touched buffers). Safe because of the rule every module already follows for
/// training steps in a scope: a tensor a forward keeps past its call (KV caches, captured attention weights, position
/// tables) is taken out of any scope with <see cref="Tensor.DetachFromScope"/>. Scopes nest: a forward inside another
/// (a backbone inside a classifier) moves its result into the caller's scope and never frees the caller's tensors.
/// A released intermediate that someone did keep throws when touched; it is never read after reuse.
/// </summary>
public readonly struct ForwardScope : IDisposable
{
    readonly TensorScope? scope;

    ForwardScope(TensorScope? scope) => this.scope = scope;

    /// <summary>Opens the region: a tensor scope when gradients are off, nothing otherwise.</summary>
    public static ForwardScope Begin() => new(GradMode.IsEnabled ? null : TensorScope.Begin());

    /// <summary>Lets <paramref name="tensor"/> (a result of the forward) outlive the region: it moves to the caller's
    /// scope, or to none.</summary>
    public Tensor Keep(Tensor tensor) => scope is null ? tensor : scope.Keep(tensor);

    /// <summary>Releases the forward's intermediates (gradients off).</summary>
    public void Dispose() => scope?.Dispose();
}
