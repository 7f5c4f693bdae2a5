using System.Diagnostics;
using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;
using SharpAttention.Tests.NN;
using Xunit.Abstractions;

namespace SharpAttention.Tests.IO;

/// <summary>
/// A model saved here opens in PyTorch and computes the same outputs. The live test saves a TransformerEncoder and a
/// Transformer with their inputs and outputs and runs tests/conformance/roundtrip.py on them with /usr/bin/python3 (when
/// torch imports). The committed fixtures/roundtrip/&lt;case&gt;.model.safetensors were saved by this test (set
/// SHARPATTENTION_ROUNDTRIP_DIR to tests/conformance/fixtures/roundtrip to refresh them, then run generate.py), and
/// &lt;case&gt;.torch.safetensors holds torch's outputs for them, so the check also runs without Python.
/// </summary>
public sealed class TorchRoundTripTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sharpattention-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Cases => ["encoder", "transformer"];

    sealed record Case(Module Model, string Kind, object Init, Dictionary<string, Tensor> Inputs, Func<Dictionary<string, Tensor>, Tensor> Run);

    /// <summary>The vectors torch initialises to constants get random values, so loading them wrongly would show.</summary>
    static void Perturb(Module m, Generator g)
    {
        using var _ = SharpAttention.Autograd.GradMode.NoGrad();
        foreach (var (name, p) in m.NamedParameters())
            if (p.Dim == 1) p.Add_(Tensor.Randn(p.ShapeArray, g).Mul(0.3));
    }

    static Tensor SuffixPadding(int b, int s, Generator g)
    {
        var pad = new bool[b * s];
        for (int r = 1; r < b; r++)
            for (int j = 1 + (int)g.NextInt64(s); j < s; j++) pad[r * s + j] = true;
        return Tensor.FromArray(pad, b, s);
    }

    static Tensor RandomMask(int l, int s, bool asBool, Generator g)
    {
        var blocked = Tensor.Rand([l, s], g).Lt(0.3).LogicalAnd(Tensor.Arange(s, DType.Int64).View(1, s).Gt(0));   // key 0 always allowed
        return asBool ? blocked : Tensor.Randn([l, s], g).Mul(0.5).MaskedFill(blocked, double.NegativeInfinity);
    }

    static Case Make(string name)
    {
        var g = new Generator(name == "encoder" ? 101UL : 202UL);
        if (name == "encoder")
        {
            var init = new { d_model = 16, nhead = 2, dim_feedforward = 32, dropout = 0.0, activation = "gelu", layer_norm_eps = 1e-5,
                             batch_first = true, norm_first = true, num_layers = 2, final_norm = true };
            var m = new TransformerEncoder(_ => new TransformerEncoderLayer(16, 2, 32, 0.0, Activation.Gelu, 1e-5, batchFirst: true, normFirst: true,
                generator: g), 2, new LayerNorm(16));
            Perturb(m, g);
            var inputs = new Dictionary<string, Tensor>
            {
                ["src"] = Tensor.Randn([3, 7, 16], g), ["src_key_padding_mask"] = SuffixPadding(3, 7, g),
                ["src_mask"] = Transformer.GenerateSquareSubsequentMask(7),
            };
            return new Case(m, "TransformerEncoder", init, inputs, x => m.Forward(x["src"], x["src_mask"], x["src_key_padding_mask"]));
        }
        else
        {
            var init = new { d_model = 16, nhead = 2, num_encoder_layers = 2, num_decoder_layers = 2, dim_feedforward = 32, dropout = 0.0,
                             activation = "relu", layer_norm_eps = 1e-5, batch_first = false, norm_first = false };
            var m = new Transformer(16, 2, 2, 2, 32, 0.0, Activation.Relu, generator: g);
            Perturb(m, g);
            var srcPad = SuffixPadding(3, 7, g);
            var inputs = new Dictionary<string, Tensor>
            {
                ["src"] = Tensor.Randn([7, 3, 16], g), ["tgt"] = Tensor.Randn([5, 3, 16], g),
                ["src_mask"] = RandomMask(7, 7, asBool: false, g), ["tgt_mask"] = Transformer.GenerateSquareSubsequentMask(5),
                ["memory_mask"] = RandomMask(5, 7, asBool: true, g), ["src_key_padding_mask"] = srcPad,
                ["tgt_key_padding_mask"] = SuffixPadding(3, 5, g), ["memory_key_padding_mask"] = srcPad,
            };
            return new Case(m, "Transformer", init, inputs, x => m.Forward(x["src"], x["tgt"], x["src_mask"], x["tgt_mask"], x["memory_mask"],
                x["src_key_padding_mask"], x["tgt_key_padding_mask"], x["memory_key_padding_mask"]));
        }
    }

    /// <summary>Writes &lt;case&gt;.model.safetensors (the plain state dict) and &lt;case&gt;.io.safetensors (inputs, our output).</summary>
    static (string Model, string Io) Save(Case c, string dir, string name)
    {
        var model = Path.Combine(dir, name + ".model.safetensors");
        var io = Path.Combine(dir, name + ".io.safetensors");
        c.Model.SaveSafetensors(model, new Dictionary<string, string>
        {
            ["sharpattention.module"] = c.Kind, ["sharpattention.init"] = JsonSerializer.Serialize(c.Init),
        });
        Tensor y;
        using (SharpAttention.Autograd.GradMode.NoGrad()) y = c.Run(c.Inputs);
        SafeTensorsTensor.Save(io, c.Inputs.Select(kv => KeyValuePair.Create("input/" + kv.Key, kv.Value))
                                           .Append(KeyValuePair.Create("output/output", y)));
        return (model, io);
    }

    static string? Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "conformance", "roundtrip.py");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SavedModelRunsInTorchWithTheSameOutputs(string name)
    {
        var c = Make(name);
        var refresh = Environment.GetEnvironmentVariable("SHARPATTENTION_ROUNDTRIP_DIR");
        var (model, io) = Save(c, string.IsNullOrEmpty(refresh) ? _dir : refresh, name);
        var script = Script();
        if (script is null || !File.Exists("/usr/bin/python3"))
        {
            output.WriteLine("skipped: no /usr/bin/python3 or tests/conformance/roundtrip.py; CommittedModelMatchesTorch covers this");
            return;
        }
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, model, io }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        var (stdout, stderr) = (await stdoutTask, await stderrTask);
        output.WriteLine(stdout + stderr);
        if (p.ExitCode == 77)
        {
            output.WriteLine("skipped: torch is not importable; CommittedModelMatchesTorch covers this");
            return;
        }
        Assert.True(p.ExitCode == 0, $"roundtrip.py exit {p.ExitCode}: {stdout}{stderr}");
    }

    /// <summary>The committed model (saved here earlier), loaded strictly and run on the committed inputs, gives torch's
    /// outputs; saving it again reproduces the committed file byte for byte.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void CommittedModelMatchesTorch(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "roundtrip");
        var c = Make(name);   // same architecture; its own weights are replaced by the committed ones
        var (_, metadata) = c.Model.LoadSafetensors(Path.Combine(dir, name + ".model.safetensors"));
        Assert.Equal(c.Kind, metadata["sharpattention.module"]);
        var inputs = SafeTensors.Read(Path.Combine(dir, name + ".io.safetensors")).ToTensors()
            .Where(kv => kv.Key.StartsWith("input/", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["input/".Length..], kv => kv.Value);
        var torch = SafeTensors.Read(Path.Combine(dir, name + ".torch.safetensors")).ToTensors()["output/output"];
        var cmp = new Comparison(name);
        cmp.Forward("output", torch, c.Run(inputs));
        output.WriteLine($"{name}: max |ours − torch| {cmp.ForwardError:E2}");
        cmp.AssertOk();

        var again = Path.Combine(_dir, "again.safetensors");
        c.Model.SaveSafetensors(again, metadata);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, name + ".model.safetensors")), File.ReadAllBytes(again));
    }
}
