using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// The one place that decides what the `attention` group measures: <c>F.ScaledDotProductAttention</c> with its
/// default backend, on (B, H, N, D) float32 tensors, causal through <c>isCausal</c>. Each action's first call is
/// checked against <see cref="AttentionProblem"/>'s double-precision reference; later (timed) calls are not.
/// </summary>
internal static class AttentionTarget
{
    static readonly int[] Shape = [AttentionProblem.B, AttentionProblem.H, 0, AttentionProblem.D];

    /// <summary>Forward only, as an inference loop runs it: inputs that need no gradient, so no graph is recorded, and
    /// each call in a <see cref="TensorScope"/> (as the train_step benchmark runs its step), so the output's buffer goes
    /// back to the pool when the call ends — as ONNX Runtime's arena and torch's caching allocator reuse theirs.
    /// Without the scope a dropped output returns only through the GC's finalizer, and about a third of the calls
    /// wrote a fresh, never-touched output (1.3–1.7 MB of new pages per call at N = 2048: `perf` put 8 % of the
    /// forward's time on the first writes in <c>UnpackO</c>, 1.3 % in a scope).</summary>
    public static Action Forward(AttentionProblem problem)
    {
        var (q, k, v) = Inputs(problem, requiresGrad: false);
        bool checkedOnce = false;
        return () =>
        {
            using var scope = TensorScope.Begin();
            var o = F.ScaledDotProductAttention(q, k, v, isCausal: problem.Causal);
            if (checkedOnce) return;
            var output = o.ToArray();
            problem.CheckForward("F.ScaledDotProductAttention", (h, i, d) => output[((h * problem.N) + i) * AttentionProblem.D + d]);
            checkedOnce = true;
        };
    }

    /// <summary>
    /// Forward and backward as training runs them: q, k, v are leaves that need gradients, the output's Backward
    /// gets a fixed dO, and the gradients are cleared before each call so each call computes them afresh rather
    /// than adding to the last ones (torch_anchor.py does the same).
    /// </summary>
    public static Action ForwardBackward(AttentionProblem problem)
    {
        var (q, k, v) = Inputs(problem, requiresGrad: true);
        var dO = Tensor.FromArray(problem.DO, ShapeOf(problem));
        bool checkedOnce = false;
        return () =>
        {
            q.Grad = k.Grad = v.Grad = null;
            var o = F.ScaledDotProductAttention(q, k, v, isCausal: problem.Causal);
            o.Backward(dO);
            if (checkedOnce) return;
            problem.CheckForwardBackward("F.ScaledDotProductAttention", o.ToArray(),
                q.Grad!.ToArray(), k.Grad!.ToArray(), v.Grad!.ToArray());
            checkedOnce = true;
        };
    }

    public static (Tensor Q, Tensor K, Tensor V) Inputs(AttentionProblem problem, bool requiresGrad)
    {
        int[] shape = ShapeOf(problem);
        return (Tensor.FromArray(problem.Q, shape).RequiresGrad_(requiresGrad),
                Tensor.FromArray(problem.K, shape).RequiresGrad_(requiresGrad),
                Tensor.FromArray(problem.V, shape).RequiresGrad_(requiresGrad));
    }

    public static int[] ShapeOf(AttentionProblem problem) // (B, H, N, D)
    {
        int[] shape = [.. Shape];
        shape[2] = problem.N;
        return shape;
    }
}
