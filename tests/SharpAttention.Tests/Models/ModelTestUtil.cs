using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Models;

internal static class ModelTestUtil
{
    /// <summary>Int64 ids in [low, high), (rows, cols).</summary>
    public static Tensor Ids(int rows, int cols, long low, long high, ulong seed) => Tensor.RandInt(low, high, [rows, cols], new Generator(seed));

    /// <summary>A batch of rows padded with <paramref name="pad"/> to the longest.</summary>
    public static Tensor Padded(long pad, params long[][] rows)
    {
        int t = rows.Max(r => r.Length);
        var data = rows.SelectMany(r => r.Concat(Enumerable.Repeat(pad, t - r.Length))).ToArray();
        return Tensor.FromArray(data, rows.Length, t);
    }

    /// <summary>Adam steps on one fixed batch; the loss before the first and after the last step.</summary>
    public static (double First, double Last) Train(Module model, Func<Tensor> loss, int steps = 25, double lr = 3e-3)
    {
        var opt = new Adam(model.Parameters(), lr: lr);
        double first = double.NaN;
        for (int s = 0; s < steps; s++)
        {
            opt.ZeroGrad();
            var l = loss();
            if (s == 0) first = l.Item();
            l.Backward();
            opt.Step();
        }
        return (first, loss().Item());
    }

    public static void Close(Tensor expected, Tensor actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var (e, a) = (expected.ToArray(), actual.ToArray());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}] {a[i]} vs {e[i]}");
    }
}
