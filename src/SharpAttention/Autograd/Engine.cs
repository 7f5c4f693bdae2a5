using SharpAttention.Tensors;

namespace SharpAttention.Autograd;

/// <summary>
/// Reverse-mode differentiation over the recorded graph (PyTorch's autograd engine, single-threaded):
/// count each node's consumers, run nodes once all their consumers have delivered gradients, accumulate into
/// leaves' .Grad, then release the graph unless it is retained.
/// Every tensor created during the pass — the gradients flowing between nodes and the ops' temporaries — is
/// visible to nobody but the engine, so the pass runs inside its own <see cref="TensorScope"/>, with or without a user
/// scope around it. An op's temporaries go back to the pool as soon as its node has run, the gradients between nodes
/// once the node that consumes them has run (<see cref="GradBuffers"/>), the rest when the pass ends. Only the
/// gradients accumulated into leaves (and retained non-leaves) escape it: see <see cref="LeafGrads"/>.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        using var temporaries = TensorScope.Begin();
        var work = Workspace.Take();
        try
        {
            work.Buffers.Begin(temporaries);
            BackwardInScope(root, gradient, retainGraph, work, temporaries);
            using var noGrad = GradMode.NoGrad();
            work.LeafGrads.Apply(temporaries);
        }
        finally
        {
            work.Return();
        }
    }

    static void BackwardInScope(Tensor root, Tensor? gradient, bool retainGraph, Workspace work, TensorScope temporaries)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("element 0 of tensors does not require grad and does not have a grad_fn");
        if (gradient == null)
        {
            if (root.NumEl != 1)
                throw new InvalidOperationException(
                    $"grad can be implicitly created only for scalar outputs; got shape {ShapeUtil.Format(root.Shape)}: pass a gradient");
            gradient = Tensor.OnesLike(root);
        }
        else if (!ShapeUtil.SameShape(gradient.Shape, root.Shape) || gradient.DType != root.DType)
            throw new ArgumentException(
                $"backward: gradient of shape {ShapeUtil.Format(gradient.Shape)} ({gradient.DType.TorchName()}) does not match " +
                $"output of shape {ShapeUtil.Format(root.Shape)} ({root.DType.TorchName()})");

        using var noGrad = GradMode.NoGrad();
        var leafGrads = work.LeafGrads;
        if (root.GradFn is not { } start)
        {
            leafGrads.Add(root, gradient);
            return;
        }

        var nodes = CollectAndCountDependencies(start, work);
        var buffers = work.Buffers;
        start.PendingGrad = gradient;
        buffers.Hold(gradient);
        var ready = work.Ready;
        ready.Push(start);
        try
        {
            while (ready.Count > 0)
            {
                var node = ready.Pop();
                if (node.CannotRunAgain)
                    throw new InvalidOperationException(
                        $"trying to backward through the graph a second time ({node.Name}): its saved tensors were freed; " +
                        "pass retainGraph: true to the first Backward call");
                var grad = node.PendingGrad;
                node.PendingGrad = null;
                node.PendingOwned = false;
                if (grad != null && node.RetainedOutput is { } retained)
                {
                    leafGrads.Add(retained, grad);
                    buffers.Escape(grad);
                }

                if (grad != null && node.AddsIntoInput && node.Producers[0] is { } target)
                {
                    // Slices add into one buffer of their input's shape; a pending gradient from elsewhere is
                    // copied once (it may be shared), a sum the engine made is reused.
                    var old = target.PendingGrad;
                    var into = old is { } pending && !target.PendingOwned ? pending.Clone() : old;
                    target.PendingGrad = node.AddInto(into, grad);
                    target.PendingOwned = true;
                    buffers.Hold(target.PendingGrad);
                    if (old != null) buffers.Drop(old);
                    buffers.Drop(grad);
                    if (--target.Dependencies == 0) ready.Push(target);
                    continue;
                }

                // A node none of whose consumers produced a gradient still releases its producers.
                int mark = temporaries.Mark;
                var inputGrads = grad == null ? new Tensor?[node.InputCount] : node.Apply(grad);
                // The op's own temporaries (everything it made but the gradients it returned) are dead now.
                temporaries.ReleaseSince(mark, inputGrads);
                for (int i = 0; i < node.InputCount; i++)
                {
                    var producer = node.Producers[i];
                    var leaf = node.Leaves[i];
                    var g = inputGrads[i];
                    if (producer == null && leaf == null) continue;
                    if (g == null)
                    {
                        if (producer != null && --producer.Dependencies == 0) ready.Push(producer);
                        continue;
                    }
                    if (!ShapeUtil.SameShape(g.Shape, node.InputShapes[i]))
                        throw new InvalidOperationException(
                            $"{node.Name} returned a gradient of shape {ShapeUtil.Format(g.Shape)} for an input of shape {ShapeUtil.Format(node.InputShapes[i])}");
                    if (producer == null)
                    {
                        leafGrads.Add(leaf!, g);
                        buffers.Escape(g);
                        continue;
                    }
                    if (producer.PendingGrad == null)
                    {
                        producer.PendingGrad = g;
                        buffers.Hold(g);
                    }
                    else if (producer.PendingOwned)
                    {
                        producer.PendingGrad.Add_(g);
                    }
                    else
                    {
                        var old = producer.PendingGrad;
                        producer.PendingGrad = old.Add(g);
                        producer.PendingOwned = true;
                        buffers.Hold(producer.PendingGrad);
                        buffers.Drop(old);
                    }
                    if (--producer.Dependencies == 0) ready.Push(producer);
                }
                // Only now: an op may return one gradient for two inputs, added into one and held as the other.
                foreach (var g in inputGrads)
                    if (g != null) buffers.ReleaseIfFree(g);
                if (grad != null) buffers.Drop(grad);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.PendingGrad = null;
                node.PendingOwned = false;
                node.Dependencies = 0;
                if (!retainGraph) node.Release();
            }
        }
    }

    /// <summary>The pass's collections, kept per thread so a backward allocates none after the first.</summary>
    sealed class Workspace
    {
        [ThreadStatic] static Workspace? spare;

        public readonly List<GradFn> Nodes = [];
        public readonly HashSet<GradFn> Seen = new(ReferenceEqualityComparer.Instance);
        public readonly Stack<GradFn> Ready = new(), Pending = new();
        public readonly LeafGrads LeafGrads = new();
        public readonly GradBuffers Buffers = new();

        /// <summary>This thread's workspace, or a fresh one when it is in use (a backward started from within one).</summary>
        public static Workspace Take()
        {
            var w = spare ?? new Workspace();
            spare = null;
            return w;
        }

        public void Return()
        {
            Nodes.Clear();
            Seen.Clear();
            Ready.Clear();
            Pending.Clear();
            LeafGrads.Clear();
            Buffers.Clear();
            spare = this;
        }
    }

    /// <summary>Every node reachable from <paramref name="start"/>, with Dependencies = number of consuming edges.</summary>
    static List<GradFn> CollectAndCountDependencies(GradFn start, Workspace work)
    {
        var nodes = work.Nodes;
        nodes.Add(start);
        var seen = work.Seen;
        seen.Add(start);
        var stack = work.Pending;
        stack.Push(start);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var producer in node.Producers)
            {
                if (producer == null) continue;
                producer.Dependencies++;
                if (seen.Add(producer))
                {
                    nodes.Add(producer);
                    stack.Push(producer);
                }
            }
        }
        return nodes;
    }
}
