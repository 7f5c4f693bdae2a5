using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Conformance;

/// <summary>One PyTorch fixture case: inputs, expected outputs, upstream gradients and expected input gradients,
/// read from tests/conformance/fixtures/&lt;group&gt;.safetensors (format in tests/conformance/README.md).</summary>
internal sealed record Fixture(string Group, string Id, string Op, JsonElement Kwargs, Tensor[] Inputs, Tensor[] Outputs,
                               Tensor[] UpstreamGrads, Tensor?[] InputGrads)
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures");

    static readonly Dictionary<string, SafeTensorsFile> Files = new();

    public static SafeTensorsFile File(string group)
    {
        lock (Files)
        {
            if (!Files.TryGetValue(group, out var f))
                Files[group] = f = SafeTensors.Read(Path.Combine(Directory, group + ".safetensors"));
            return f;
        }
    }

    public static IEnumerable<(string Group, string Id)> All() =>
        System.IO.Directory.GetFiles(Directory, "*.safetensors").Order(StringComparer.Ordinal)
            .SelectMany(path =>
            {
                var group = Path.GetFileNameWithoutExtension(path);
                return File(group).Metadata.Keys.Order(StringComparer.Ordinal).Select(id => (group, id));
            });

    public static Fixture Load(string group, string id)
    {
        var file = File(group);
        using var meta = JsonDocument.Parse(file.Metadata[id]);
        var op = meta.RootElement.GetProperty("op").GetString()!;
        var kwargs = meta.RootElement.TryGetProperty("kwargs", out var k) ? k.Clone() : default;
        Tensor[] Seq(string prefix) =>
            Enumerable.Range(0, 64).TakeWhile(i => file.TryGet($"{id}/{prefix}{i}", out _))
                      .Select(i => file[$"{id}/{prefix}{i}"].ToTensor()).ToArray();
        var inputs = Seq("in");
        var grads = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            if (file.TryGet($"{id}/grad{i}", out var g)) grads[i] = g.ToTensor();
        return new Fixture(group, id, op, kwargs, inputs, Seq("out"), Seq("gout"), grads);
    }
}
