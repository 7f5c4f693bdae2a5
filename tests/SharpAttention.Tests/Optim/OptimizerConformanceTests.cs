using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.Optim;
using SharpAttention.Tensors;
using SharpAttention.Tests.Conformance;

namespace SharpAttention.Tests.Optim;

/// <summary>
/// Replays tests/conformance/fixtures/training/optim.safetensors: ten torch.optim steps (SGD, Adam, AdamW, with
/// parameter groups, skipped gradients, and on a small MLP whose gradients come from our own autograd) and
/// clip_grad_norm_, from the same initial weights; the final parameters must agree to 1e-5.
/// </summary>
public class OptimizerConformanceTests
{
    static readonly Lazy<SafeTensorsFile> File = new(() =>
        SafeTensors.Read(Path.Combine(Fixture.Directory, "training", "optim.safetensors")));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var id in File.Value.Metadata.Keys.Order(StringComparer.Ordinal)) data.Add(id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(string id)
    {
        var file = File.Value;
        using var meta = JsonDocument.Parse(file.Metadata[id]);
        var root = meta.RootElement;
        string name = root.GetProperty("optimizer").GetString()!;
        var kwargs = root.GetProperty("kwargs");
        if (name == "clip_grad_norm_")
        {
            Clip(file, id, kwargs);
            return;
        }
        var parameters = new List<Tensor>();
        while (file.TryGet($"{id}/p{parameters.Count}/init", out var e)) parameters.Add(e.ToTensor().RequiresGrad_());
        var groups = root.GetProperty("groups").EnumerateArray().Select(g =>
        {
            var members = g.GetProperty("params").EnumerateArray().Select(j => parameters[j.GetInt32()]);
            double? lr = null, wd = null;
            if (g.TryGetProperty("options", out var o))
            {
                if (o.TryGetProperty("lr", out var v)) lr = v.GetDouble();
                if (o.TryGetProperty("weight_decay", out v)) wd = v.GetDouble();
            }
            return new ParamGroup(members, lr, wd);
        }).ToArray();
        var optimizer = Create(name, groups, kwargs);
        int steps = root.GetProperty("steps").GetInt32();
        bool model = root.GetProperty("model").ValueKind != JsonValueKind.Null;
        for (int s = 0; s < steps; s++)
        {
            optimizer.ZeroGrad();
            if (model) MlpLoss(file, id, parameters).Backward();
            else
                for (int j = 0; j < parameters.Count; j++)
                    if (file.TryGet($"{id}/step{s}/g{j}", out var g)) parameters[j].Grad = g.ToTensor();
            optimizer.Step();
        }
        for (int j = 0; j < parameters.Count; j++)
            AssertClose(file[$"{id}/p{j}/final"].ToTensor().ToArray(), parameters[j].ToArray(), $"{id} parameter {j}");
    }

    static Optimizer Create(string name, ParamGroup[] groups, JsonElement kw)
    {
        double Get(string key, double fallback) => kw.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool Flag(string key) => kw.TryGetProperty(key, out var v) && v.GetBoolean();
        double[] betas = kw.TryGetProperty("betas", out var b) ? b.EnumerateArray().Select(x => x.GetDouble()).ToArray() : [0.9, 0.999];
        return name switch
        {
            "SGD" => new Sgd(groups, Get("lr", 1e-3), Get("momentum", 0), Get("dampening", 0), Get("weight_decay", 0),
                             Flag("nesterov"), Flag("maximize")),
            "Adam" => new Adam(groups, Get("lr", 1e-3), betas[0], betas[1], Get("eps", 1e-8), Get("weight_decay", 0), Flag("amsgrad")),
            "AdamW" => new AdamW(groups, Get("lr", 1e-3), betas[0], betas[1], Get("eps", 1e-8), Get("weight_decay", 1e-2), Flag("amsgrad")),
            _ => throw new InvalidOperationException($"fixture names an unknown optimizer '{name}'"),
        };
    }

    /// <summary>mean((tanh(x·W1ᵀ + b1)·W2ᵀ + b2 − y)²), the fixture's "mlp_tanh_mse".</summary>
    static Tensor MlpLoss(SafeTensorsFile file, string id, List<Tensor> p)
    {
        var x = file[$"{id}/x"].ToTensor();   // (16, 5)
        var y = file[$"{id}/y"].ToTensor();   // (16, 3)
        var hidden = (x.MatMul(p[0].Transpose(0, 1)) + p[1]).Tanh();   // (16, 8)
        var diff = hidden.MatMul(p[2].Transpose(0, 1)) + p[3] - y;      // (16, 3)
        return (diff * diff).Mean();
    }

    static void Clip(SafeTensorsFile file, string id, JsonElement kw)
    {
        double maxNorm = kw.GetProperty("max_norm").GetDouble();
        var nt = kw.GetProperty("norm_type");
        double normType = nt.ValueKind == JsonValueKind.String ? double.PositiveInfinity : nt.GetDouble();
        var parameters = new List<Tensor>();
        while (file.TryGet($"{id}/g{parameters.Count}/before", out var e))
        {
            var p = Tensor.ZerosLike(e.ToTensor()).RequiresGrad_();
            p.Grad = e.ToTensor();
            parameters.Add(p);
        }
        double total = GradClip.ClipGradNorm_(parameters, maxNorm, normType);
        AssertClose(file[$"{id}/total_norm"].ToTensor().ToArray(), [(float)total], $"{id} total norm");
        for (int j = 0; j < parameters.Count; j++)
            AssertClose(file[$"{id}/g{j}/after"].ToTensor().ToArray(), parameters[j].Grad!.ToArray(), $"{id} gradient {j}");
    }

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= 1e-5 + 1e-5 * Math.Abs(expected[i]),
                $"{what}[{i}]: torch {expected[i]:R}, SharpAttention {actual[i]:R} (error {err:G3})");
        }
    }
}
