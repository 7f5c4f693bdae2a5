using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.NN;

/// <summary>
/// One PyTorch module case from tests/conformance/fixtures/modules/&lt;group&gt;.safetensors (written by
/// tests/conformance/modules.py): tensors are stored as "&lt;case&gt;/&lt;kind&gt;/&lt;name&gt;" with kind param (state_dict
/// key), input, output, gout (upstream gradient of an output), grad_param and grad_input; the metadata holds the
/// module's constructor ("init") and forward ("forward") arguments in PyTorch's names.
/// </summary>
internal sealed class ModuleFixture
{
    public required string Id;
    public required JsonElement Init, Forward;

    /// <summary>The whole metadata object of the case (module, init, forward and anything else the generator recorded).</summary>
    public required JsonElement Meta;
    public readonly Dictionary<string, Tensor> Params = new(), Inputs = new(), Outputs = new(), Gouts = new(), GradParams = new(), GradInputs = new();

    static readonly Dictionary<string, SafeTensorsFile> Files = new();

    static SafeTensorsFile File(string group)
    {
        lock (Files)
        {
            if (!Files.TryGetValue(group, out var f))
                Files[group] = f = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", "modules", group + ".safetensors"));
            return f;
        }
    }

    public static IEnumerable<string> Ids(string group, string prefix = "") =>
        File(group).Metadata.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    public static IEnumerable<object[]> Cases(string group, string prefix = "") => Ids(group, prefix).Select(id => new object[] { id });

    public static ModuleFixture Load(string group, string id)
    {
        var file = File(group);
        using var meta = JsonDocument.Parse(file.Metadata[id]);
        var root = meta.RootElement;
        var f = new ModuleFixture
        {
            Id = id,
            Init = root.TryGetProperty("init", out var i) ? i.Clone() : default,
            Forward = root.TryGetProperty("forward", out var fw) ? fw.Clone() : default,
            Meta = root.Clone(),
        };
        foreach (var entry in file.Entries)
        {
            var parts = entry.Name.Split('/', 3);
            if (parts.Length != 3 || parts[0] != id) continue;
            var dict = parts[1] switch
            {
                "param" => f.Params,
                "input" => f.Inputs,
                "output" => f.Outputs,
                "gout" => f.Gouts,
                "grad_param" => f.GradParams,
                "grad_input" => f.GradInputs,
                _ => throw new InvalidDataException($"{entry.Name}: unknown kind '{parts[1]}'"),
            };
            dict[parts[2]] = entry.ToTensor();
        }
        return f;
    }

    public static bool Bool(JsonElement section, string name) =>
        section.ValueKind == JsonValueKind.Object && section.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.True;

    public static int? Int(JsonElement section, string name) =>
        section.ValueKind == JsonValueKind.Object && section.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : null;

    public static double? Double(JsonElement section, string name) =>
        section.ValueKind == JsonValueKind.Object && section.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;

    public Tensor? Input(string name) => Inputs.GetValueOrDefault(name);
}

/// <summary>Element-wise comparison against a fixture, collecting every failure and the largest absolute error.</summary>
internal sealed class Comparison(string id)
{
    public string Id => id;
    public readonly List<string> Failures = new();
    public double ForwardError, GradError;

    public const double ForwardRtol = 1e-5, ForwardAtol = 1e-6, GradTol = 1e-4;

    public void Forward(string what, Tensor expected, Tensor? actual, double rtol = ForwardRtol, double atol = ForwardAtol) =>
        ForwardError = Math.Max(ForwardError, Check(what, expected, actual, rtol, atol));

    public void Grad(string what, Tensor expected, Tensor? actual, double tol = GradTol) =>
        GradError = Math.Max(GradError, Check(what, expected, actual ?? Tensor.ZerosLike(expected), tol, tol));

    double Check(string what, Tensor expected, Tensor? actual, double rtol, double atol)
    {
        if (actual is null)
        {
            Failures.Add($"{id} {what}: missing");
            return double.PositiveInfinity;
        }
        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            Failures.Add($"{id} {what}: shape ({string.Join(",", actual.Shape.ToArray())}) but PyTorch gives ({string.Join(",", expected.Shape.ToArray())})");
            return double.PositiveInfinity;
        }
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double worst = 0;
        int reported = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs(a[i] - e[i]);
            if (double.IsNaN(diff)) diff = e[i].Equals(a[i]) ? 0 : double.PositiveInfinity;   // equal infinities / NaNs agree
            worst = Math.Max(worst, diff);
            if (diff > atol + rtol * Math.Abs(e[i]) && reported++ < 10)
                Failures.Add($"{id} {what}[{i}]: {a[i]:R} but PyTorch gives {e[i]:R} (|diff| {diff:E2})");
        }
        return worst;
    }

    public void AssertOk() => Assert.True(Failures.Count == 0, string.Join("\n", Failures));
}
