using System.Text.Json;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Conformance;

/// <summary>
/// Maps a fixture's torch op name and kwargs (recorded by tests/conformance/generate.py) onto the SharpAttention
/// call that must reproduce it. Inputs arrive in torch's positional order; outputs are returned in order.
/// </summary>
internal static class TorchOps
{
    public static Tensor[] Run(string op, JsonElement kw, Tensor[] x)
    {
        return op switch
        {
            "add" => [Has(kw, "other") ? x[0].Add(kw.GetProperty("other").GetDouble()) : x[0].Add(x[1])],
            "sub" => [Has(kw, "other") ? x[0].Sub(kw.GetProperty("other").GetDouble()) : x[0].Sub(x[1])],
            "mul" => [Has(kw, "other") ? x[0].Mul(kw.GetProperty("other").GetDouble()) : x[0].Mul(x[1])],
            "div" => [Has(kw, "other") ? x[0].Div(kw.GetProperty("other").GetDouble()) : x[0].Div(x[1])],
            "neg" => [x[0].Neg()],
            "exp" => [x[0].Exp()],
            "log" => [x[0].Log()],
            "sqrt" => [x[0].Sqrt()],
            "rsqrt" => [x[0].Rsqrt()],
            "pow" => [Has(kw, "exponent") ? x[0].Pow(kw.GetProperty("exponent").GetDouble()) : x[0].Pow(x[1])],
            "tanh" => [x[0].Tanh()],
            "sigmoid" => [x[0].Sigmoid()],
            "relu" => [x[0].Relu()],
            "gelu" => [x[0].Gelu(Str(kw, "approximate") ?? "none")],
            "silu" => [x[0].Silu()],
            "sum" => [Reduce(x[0], kw, (t, d, k) => d == null ? t.Sum() : t.Sum(d, k))],
            "mean" => [Reduce(x[0], kw, (t, d, k) => d == null ? t.Mean() : t.Mean(d, k))],
            "max" => MaxOp(x[0], kw),
            "var" => [x[0].Var(Dims(kw), Int(kw, "correction") ?? 1, Bool(kw, "keepdim") ?? false)],
            "matmul" => [x[0].MatMul(x[1])],
            "linear" => [F.Linear(x[0], x[1], x.Length > 2 ? x[2] : null)],
            "softmax" => [x[0].Softmax(Int(kw, "dim")!.Value)],
            "log_softmax" => [x[0].LogSoftmax(Int(kw, "dim")!.Value)],
            "layer_norm" => [F.LayerNorm(x[0], IntArray(kw, "normalized_shape")!, x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null, Dbl(kw, "eps") ?? 1e-5)],
            "rms_norm" => [F.RmsNorm(x[0], IntArray(kw, "normalized_shape")!, x.Length > 1 ? x[1] : null, Dbl(kw, "eps"))],
            "embedding" => [F.Embedding(x[0], x[1], Int(kw, "padding_idx"))],
            "cross_entropy" => [F.CrossEntropy(x[0], x[1], Int(kw, "ignore_index") ?? -100, ParseReduction(Str(kw, "reduction")),
                                              Dbl(kw, "label_smoothing") ?? 0)],
            "dropout" => [F.Dropout(x[0], Dbl(kw, "p") ?? 0.5, Bool(kw, "training") ?? true)],
            "masked_fill" => [x[0].MaskedFill(x[1], Dbl(kw, "value")!.Value)],
            "where" => [Tensor.Where(x[0], x[1], x[2])],
            "cat" => [Tensor.Cat(x, Int(kw, "dim") ?? 0)],
            "stack" => [Tensor.Stack(x, Int(kw, "dim") ?? 0)],
            "split" => SplitOp(x[0], kw),
            "gather" => [x[0].Gather(Int(kw, "dim")!.Value, x[1])],
            "index_select" => [x[0].IndexSelect(Int(kw, "dim")!.Value, x[1])],
            "reshape" or "view" => [x[0].Reshape(IntArray(kw, "shape")!)],
            "permute" => [x[0].Permute(IntArray(kw, "dims")!)],
            "transpose" => [x[0].Transpose(Int(kw, "dim0")!.Value, Int(kw, "dim1")!.Value)],
            "narrow" => [x[0].Narrow(Int(kw, "dim")!.Value, Int(kw, "start")!.Value, Int(kw, "length")!.Value)],
            "expand" => [x[0].Expand(IntArray(kw, "size")!)],
            "unsqueeze" => [x[0].Unsqueeze(Int(kw, "dim")!.Value)],
            "squeeze" => [Int(kw, "dim") is int sd ? x[0].Squeeze(sd) : x[0].Squeeze()],
            "contiguous" => [x[0].Transpose(Int(kw, "dim0") ?? 0, Int(kw, "dim1") ?? 1).Contiguous()],
            "flatten" => [x[0].Flatten(Int(kw, "start_dim") ?? 0, Int(kw, "end_dim") ?? -1)],
            _ => throw new NotSupportedException($"fixture op '{op}' has no SharpAttention mapping"),
        };
    }

    static Tensor[] MaxOp(Tensor x, JsonElement kw)
    {
        if (Int(kw, "dim") is not int dim) return [x.Max()];
        var (values, indices) = x.Max(dim, Bool(kw, "keepdim") ?? false);
        return [values, indices];
    }

    static Tensor[] SplitOp(Tensor x, JsonElement kw)
    {
        int dim = Int(kw, "dim") ?? 0;
        var s = kw.GetProperty("split_size_or_sections");
        return s.ValueKind == JsonValueKind.Array ? x.Split(s.EnumerateArray().Select(e => e.GetInt32()).ToArray(), dim) : x.Split(s.GetInt32(), dim);
    }

    static Tensor Reduce(Tensor x, JsonElement kw, Func<Tensor, int[]?, bool, Tensor> f) => f(x, Dims(kw), Bool(kw, "keepdim") ?? false);

    static int[]? Dims(JsonElement kw) =>
        !Has(kw, "dim") || kw.GetProperty("dim").ValueKind == JsonValueKind.Null ? null
        : kw.GetProperty("dim").ValueKind == JsonValueKind.Array ? IntArray(kw, "dim") : [kw.GetProperty("dim").GetInt32()];

    static Reduction ParseReduction(string? s) => s switch
    {
        null or "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => throw new NotSupportedException($"reduction '{s}'"),
    };

    static bool Has(JsonElement kw, string name) => kw.ValueKind == JsonValueKind.Object && kw.TryGetProperty(name, out _);

    static JsonElement? Get(JsonElement kw, string name) =>
        Has(kw, name) && kw.GetProperty(name).ValueKind != JsonValueKind.Null ? kw.GetProperty(name) : null;

    static int? Int(JsonElement kw, string name) => Get(kw, name)?.GetInt32();
    static bool? Bool(JsonElement kw, string name) => Get(kw, name)?.GetBoolean();
    static string? Str(JsonElement kw, string name) => Get(kw, name)?.GetString();

    static double? Dbl(JsonElement kw, string name) => Get(kw, name) is { } e
        ? e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!.Replace("inf", "Infinity"), System.Globalization.CultureInfo.InvariantCulture) : e.GetDouble()
        : null;

    static int[]? IntArray(JsonElement kw, string name) => Get(kw, name) is { } e
        ? e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(v => v.GetInt32()).ToArray() : [e.GetInt32()]
        : null;
}
