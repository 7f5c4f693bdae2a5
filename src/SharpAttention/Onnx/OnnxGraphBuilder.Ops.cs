using Onnx;
using SharpAttention.NN;
using SharpAttention.Tensors;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SharpAttention.Onnx;

// Operator helpers in the vocabulary of the model code: each emits standard ONNX operators (opset 17 forms, with the
// opset-18 change of Reduce* axes handled) and returns the output value's name.
internal sealed partial class OnnxGraphBuilder
{
    public string Add(string a, string b) => Node("Add", [a, b]);
    public string Sub(string a, string b) => Node("Sub", [a, b]);
    public string Mul(string a, string b) => Node("Mul", [a, b]);
    public string Div(string a, string b) => Node("Div", [a, b]);
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);
    public string Relu(string x) => Node("Relu", [x]);
    public string Neg(string x) => Node("Neg", [x]);

    /// <summary>x·σ(x) (torch's silu).</summary>
    public string Silu(string x) => Mul(x, Node("Sigmoid", [x]));

    /// <summary>Exact GELU written with Erf, 0.5·x·(1 + erf(x/√2)): the Gelu operator only arrived in opset 20.</summary>
    public string Gelu(string x)
    {
        var erf = Node("Erf", [Mul(x, Float((float)(1 / Math.Sqrt(2))))]);
        return Mul(Mul(x, Float(0.5f)), Add(erf, Float(1f)));
    }

    /// <summary>x·Wᵀ + b for a torch Linear weight W (out, in): MatMul against Transpose(W), which ONNX Runtime folds into
    /// a constant when it loads the graph, so the initializer keeps torch's layout and name.</summary>
    /// <param name="x">(..., in)</param>
    /// <param name="weight">(out, in)</param>
    /// <param name="bias">(out) or null</param>
    /// <returns>(..., out)</returns>
    public string Linear(string x, Tensor weight, Tensor? bias)
    {
        var y = MatMul(x, TransposedWeight(weight));
        return bias is null ? y : Add(y, Weight(bias));
    }

    public string Linear(string x, Linear linear) => Linear(x, linear.Weight, linear.Bias);

    /// <summary>Wᵀ of a 2-D weight, one Transpose node per weight however often it is used.</summary>
    public string TransposedWeight(Tensor weight)
    {
        var name = Weight(weight);
        string key = "T:" + name;
        if (!cache.TryGetValue(key, out var t)) cache[key] = t = Node("Transpose", [name], [Attr("perm", new long[] { 1, 0 })]);
        return t;
    }

    /// <summary>LayerNormalization (opset 17) over the last dim; a missing weight is ones, a missing bias zeros.</summary>
    public string LayerNorm(string x, LayerNorm norm)
    {
        if (norm.NormalizedShape.Length != 1) throw new OnnxExportException("LayerNorm over more than the last dimension");
        var scale = norm.Weight is null ? Store($"ones_{norm.NormalizedShape[0]}", Tensor.Ones(norm.NormalizedShape[0])) : Weight(norm.Weight);
        string[] inputs = norm.Bias is null ? [x, scale] : [x, scale, Weight(norm.Bias)];
        return Node("LayerNormalization", inputs, [Attr("axis", -1L), Attr("epsilon", (float)norm.Eps)]);
    }

    /// <summary>RMSNorm composed (the operator is opset 23): x / √(mean(x²) + eps) · weight over the last dim.</summary>
    public string RmsNorm(string x, RmsNorm norm)
    {
        if (norm.NormalizedShape.Length != 1) throw new OnnxExportException("RMSNorm over more than the last dimension");
        float eps = norm.Eps is double e ? (float)e : 1.1920929e-07f;   // null: torch.finfo(float32).eps
        var meanSquare = Reduce("ReduceMean", Mul(x, x), [-1], keepDims: true);
        var y = Mul(x, Node("Reciprocal", [Node("Sqrt", [Add(meanSquare, Float(eps))])]));
        return norm.Weight is null ? y : Mul(y, Weight(norm.Weight));
    }

    /// <summary>A Transformer layer's norm: <see cref="NN.LayerNorm"/> or <see cref="NN.RmsNorm"/>.</summary>
    public string Norm(string x, Module norm) => norm switch
    {
        LayerNorm ln => LayerNorm(x, ln),
        RmsNorm rms => RmsNorm(x, rms),
        _ => throw new OnnxExportException($"normalisation {norm.GetType().Name}"),
    };

    /// <summary>Reduce{Sum,Mean,Max} over <paramref name="axes"/>: axes are an attribute before opset 18 (ReduceSum's
    /// since 13 already an input).</summary>
    public string Reduce(string op, string x, long[] axes, bool keepDims)
    {
        var keep = Attr("keepdims", keepDims ? 1L : 0L);
        return op == "ReduceSum" || Opset >= 18
            ? Node(op, [x, Int64s(axes)], [keep])
            : Node(op, [x], [Attr("axes", axes), keep]);
    }

    public string Softmax(string x, long axis = -1) => Node("Softmax", [x], [Attr("axis", axis)]);

    /// <summary>Reshape to <paramref name="shape"/>, where 0 copies the input's dim and −1 is inferred.</summary>
    public string Reshape(string x, long[] shape) => Node("Reshape", [x, Int64s(shape)]);

    public string Reshape(string x, string shape) => Node("Reshape", [x, shape]);

    public string Transpose(string x, long[] perm) => Node("Transpose", [x], [Attr("perm", perm)]);

    public string Unsqueeze(string x, long[] axes) => Node("Unsqueeze", [x, Int64s(axes)]);

    public string Concat(long axis, params string[] xs) => Node("Concat", xs, [Attr("axis", axis)]);

    public string Gather(string data, string indices, long axis = 0) => Node("Gather", [data, indices], [Attr("axis", axis)]);

    public string Where(string condition, string a, string b) => Node("Where", [condition, a, b]);

    public string Cast(string x, DataType to) => Node("Cast", [x], [Attr("to", (long)to)]);

    /// <summary>Splits along <paramref name="axis"/> into pieces of the given sizes.</summary>
    public string[] Split(string x, long axis, long[] sizes) =>
        Node("Split", [x, Int64s(sizes)], sizes.Select(_ => Fresh("Split")).ToArray(), [Attr("axis", axis)]);

    /// <summary>Dim <paramref name="axis"/> of x's runtime shape as an int64 scalar.</summary>
    public string Dim(string x, long axis) => Gather(Node("Shape", [x]), Int64(axis));

    /// <summary>Dim <paramref name="axis"/> of x's runtime shape as an int64 tensor of shape (1).</summary>
    public string ShapeSlice(string x, long axis) => Node("Shape", [x], [Attr("start", axis), Attr("end", axis + 1)]);

    /// <summary>Rows start … end − 1 along <paramref name="axis"/>, with start and end int64 values of shape (1).</summary>
    public string Slice(string x, string start, string end, long axis) => Node("Slice", [x, start, end, Int64s([axis])]);
}
