using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Conformance;

/// <summary>Replays the PyTorch fixtures of the reductions, softmax family and normalisations
/// (tests/conformance/fixtures/reduce.safetensors and softmax.safetensors, see tests/conformance/README.md):
/// forward within 1e-5 relative / 1e-6 absolute, gradients within 1e-4.</summary>
public class RowOpsConformanceTests
{
    static readonly Dictionary<string, SafeTensorsFile> Files = new();

    static SafeTensorsFile Load(string group)
    {
        lock (Files)
        {
            if (!Files.TryGetValue(group, out var f))
                Files[group] = f = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", group + ".safetensors"));
            return f;
        }
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var group in new[] { "reduce", "softmax" })
            foreach (var id in Load(group).Metadata.Keys.Order()) data.Add(group, id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string group, string id)
    {
        var file = Load(group);
        using var meta = JsonDocument.Parse(file.Metadata[id]);
        string op = meta.RootElement.GetProperty("op").GetString()!;
        var kw = meta.RootElement.GetProperty("kwargs");

        var inputs = new List<Tensor>();
        for (int k = 0; file.TryGet($"{id}/in{k}", out var e); k++) inputs.Add(Load(e).RequiresGrad_());
        var x = inputs[0];
        Tensor? Optional(int k) => inputs.Count > k ? inputs[k] : null;

        var outputs = op switch
        {
            "sum" => [kw.TryGetProperty("dim", out var d) ? x.Sum(Ints(d), Bool(kw, "keepdim")) : x.Sum()],
            "mean" => [kw.TryGetProperty("dim", out var d) ? x.Mean(Ints(d), Bool(kw, "keepdim")) : x.Mean()],
            "var" => [x.Var(kw.GetProperty("dim").ValueKind == JsonValueKind.Null ? null : Ints(kw.GetProperty("dim")),
                            kw.GetProperty("correction").GetInt32(), Bool(kw, "keepdim"))],
            "max" => kw.TryGetProperty("dim", out var d) ? MaxDim(x, d.GetInt32(), Bool(kw, "keepdim")) : [x.Max()],
            "softmax" => [F.Softmax(x, kw.GetProperty("dim").GetInt32())],
            "log_softmax" => [F.LogSoftmax(x, kw.GetProperty("dim").GetInt32())],
            "layer_norm" => [F.LayerNorm(x, Ints(kw.GetProperty("normalized_shape")), Optional(1), Optional(2), kw.GetProperty("eps").GetDouble())],
            "rms_norm" => [F.RmsNorm(x, Ints(kw.GetProperty("normalized_shape")), Optional(1), kw.GetProperty("eps").GetDouble())],
            _ => throw new InvalidOperationException($"{group}/{id}: no replay for op '{op}'"),
        };
        Tensor[] MaxDim(Tensor t, int dim, bool keepdim)
        {
            var (values, indices) = t.Max(dim, keepdim);
            return [values, indices];
        }

        for (int k = 0; k < outputs.Length; k++)
        {
            var expected = file[$"{id}/out{k}"];
            Assert.Equal(expected.Shape, outputs[k].Shape.ToArray());
            if (expected.DType == "I64") Assert.Equal(expected.ToInt64Array(), outputs[k].ToInt64Array());
            else AssertClose(expected.ToFloatArray(), outputs[k].ToArray(), 1e-5, 1e-6, $"{id}/out{k}");
        }

        // Backward from torch's upstream gradient: one float output in every case here.
        outputs[0].Backward(Load(file[$"{id}/gout0"]));
        for (int k = 0; k < inputs.Count; k++)
        {
            var expected = file[$"{id}/grad{k}"].ToFloatArray();
            var actual = inputs[k].Grad?.ToArray() ?? new float[inputs[k].NumEl];
            AssertClose(expected, actual, 1e-4, 1e-4, $"{id}/grad{k}");
        }
    }

    static Tensor Load(SafeTensorEntry e)
    {
        var data = e.ToFloatArray();
        return Tensor.FromArray(data, data.Length).Reshape(e.Shape);
    }

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    static bool Bool(JsonElement kw, string name) => kw.TryGetProperty(name, out var v) && v.GetBoolean();

    static void AssertClose(float[] expected, float[] actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool ok = float.IsNaN(expected[i]) ? float.IsNaN(actual[i])
                : Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]);
            Assert.True(ok, $"{what} at {i}: PyTorch {expected[i]:R}, SharpAttention {actual[i]:R}");
        }
    }
}
