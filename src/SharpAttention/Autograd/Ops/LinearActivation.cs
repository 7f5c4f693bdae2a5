using System.Numerics;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// y = f(x·Wᵀ + b) as one op, f = GELU (either form) or ReLU: the first half of a Transformer MLP. The GEMM writes
/// x·Wᵀ without a bias pre-fill, then one row sweep adds the bias and applies f (<see cref="BiasActivation"/>);
/// backward gets dpre = dy·f′(pre) and the bias gradient in one sweep, then dx = dpre·W and dW = dpreᵀ·x. The
/// pre-activation is private to the node and returned to the pool when the graph is released. Composed twin:
/// f(F.Linear(x, W, b)), which a test checks it against.
/// </summary>
internal static class LinearActivation
{
    public enum Kind { Gelu, GeluTanh, Relu }

    public static Kind Parse(string activation) => activation switch
    {
        "gelu" => Kind.Gelu,
        "gelu_tanh" => Kind.GeluTanh,
        "relu" => Kind.Relu,
        _ => throw new ArgumentException($"linear: activation must be \"gelu\", \"gelu_tanh\" or \"relu\", got \"{activation}\""),
    };

    /// <param name="x">(..., in)</param>
    /// <param name="weight">(out, in)</param>
    /// <param name="bias">(out) or null</param>
    /// <param name="kind">the activation</param>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, Kind kind)
    {
        Linear.Check(x, weight, bias);
        int outF = weight.Shape[0], inF = weight.Shape[1];
        int rows = checked((int)ShapeUtil.NumEl(x.Shape[..^1]));
        var pre = Tensor.Empty([rows, outF], x.DType);                              // (N, out)
        BatchedMatMul.Into(x.Detach().Reshape(rows, inF), weight.Detach().T, pre, accumulate: false);
        var y = Tensor.Empty([.. x.Shape[..^1], outF], x.DType);                     // (..., out)
        var b = bias?.Detach().Contiguous();
        if (x.DType == DType.Float32) Epilogue<float>(kind, pre, b, y, outF);
        else Epilogue<double>(kind, pre, b, y, outF);
        if (Graph.NeedsGrad(x, weight, bias)) y.SetGradFn(new Backward(x, weight, bias, pre, kind));
        else pre.Storage.Release();   // nobody else ever saw it
        return y;
    }

    static void Epilogue<T>(Kind kind, Tensor pre, Tensor? bias, Tensor y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = bias == null ? default : bias.Span<T>();
        switch (kind)
        {
            case Kind.Gelu: BiasActivation.Forward<GeluOp, T>(pre.Span<T>(), b, y.Span<T>(), n); break;
            case Kind.GeluTanh: BiasActivation.Forward<GeluTanhOp, T>(pre.Span<T>(), b, y.Span<T>(), n); break;
            default: BiasActivation.Forward<ReluActivationOp, T>(pre.Span<T>(), b, y.Span<T>(), n); break;
        }
    }

    static void EpilogueBackward<T>(Kind kind, Tensor pre, Tensor dy, Tensor dpre, Tensor? dbias, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var db = dbias == null ? default : dbias.Span<T>();
        switch (kind)
        {
            case Kind.Gelu: BiasActivation.Backward<GeluOp, T>(pre.Span<T>(), dy.Span<T>(), dpre.Span<T>(), db, n); break;
            case Kind.GeluTanh: BiasActivation.Backward<GeluTanhOp, T>(pre.Span<T>(), dy.Span<T>(), dpre.Span<T>(), db, n); break;
            default: BiasActivation.Backward<ReluActivationOp, T>(pre.Span<T>(), dy.Span<T>(), dpre.Span<T>(), db, n); break;
        }
    }

    sealed class Backward(Tensor x, Tensor weight, Tensor? bias, Tensor pre, Kind kind) : GradFn(x, weight, bias)
    {
        SavedTensor savedX = new(x), savedW = new(weight), savedPre = new(pre);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var w = savedW.Get();                               // (out, in)
            var pre = savedPre.Get();                           // (N, out)
            int rows = pre.Shape[0], outF = pre.Shape[1], inF = w.Shape[1];
            var g = grad.DType == pre.DType ? grad : grad.To(pre.DType);
            var dy = g.Reshape(rows, outF).Contiguous();       // (N, out)
            var dpre = Tensor.Empty([rows, outF], pre.DType);
            var db = NeedsGrad(2) ? Tensor.Zeros([outF], pre.DType) : null;
            if (pre.DType == DType.Float32) EpilogueBackward<float>(kind, pre, dy, dpre, db, outF);
            else EpilogueBackward<double>(kind, pre, dy, dpre, db, outF);
            Tensor? dx = null, dw = null;
            if (NeedsGrad(0))
            {
                var x = savedX.Get();
                dx = BatchedMatMul.Compute(dpre, w, []).Reshape(x.ShapeArray);         // (N, out)·(out, in)
            }
            if (NeedsGrad(1)) dw = BatchedMatMul.Compute(dpre.T, savedX.Get().Reshape(rows, inF), []);   // (out, N)·(N, in)
            return [dx, dw, db];
        }

        protected override void ReleaseSaved()
        {
            savedX.Clear();
            savedW.Clear();
            savedPre.ReleasePrivate();   // the pre-activation was made for this node alone
        }
    }
}
