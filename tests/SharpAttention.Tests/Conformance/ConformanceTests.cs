using SharpAttention.Tensors;
using Xunit.Abstractions;

namespace SharpAttention.Tests.Conformance;

/// <summary>Every op against PyTorch 1.13 fixtures: forward within 1e-5 relative / 1e-6 absolute, every input
/// gradient within 1e-4.</summary>
public class ConformanceTests(ITestOutputHelper output)
{
    const double ForwardRtol = 1e-5, ForwardAtol = 1e-6, GradTol = 1e-4;

    /// <summary>The ops the foundation issue lists; each needs at least three fixture cases.</summary>
    static readonly string[] RequiredOps =
    [
        "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "rsqrt", "pow", "tanh", "sigmoid", "relu", "gelu", "silu",
        "sum", "mean", "max", "var", "matmul", "linear", "softmax", "log_softmax", "layer_norm", "rms_norm", "dropout",
        "embedding", "cross_entropy", "masked_fill", "where", "cat", "stack", "split", "gather", "index_select",
    ];

    public static IEnumerable<object[]> Cases() => Fixture.All().Select(c => new object[] { c.Group, c.Id });

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string group, string id)
    {
        var result = Check(Fixture.Load(group, id));
        Assert.True(result.Failures.Count == 0, string.Join("\n", result.Failures));
    }

    [Fact]
    public void EveryListedOpHasAtLeastThreeCases()
    {
        var counts = Fixture.All().Select(c => Fixture.Load(c.Group, c.Id).Op).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var missing = RequiredOps.Where(op => counts.GetValueOrDefault(op) < 3).ToList();
        Assert.True(missing.Count == 0, "ops with fewer than 3 fixture cases: " + string.Join(", ", missing));
    }

    /// <summary>Prints (and writes to conformance-errors.md in the test output folder) the max error per op.</summary>
    [Fact]
    public void ReportMaxErrorPerOp()
    {
        var rows = Fixture.All().Select(c => Check(Fixture.Load(c.Group, c.Id)))
            .GroupBy(r => r.Op).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"| {g.Key} | {g.Count()} | {g.Max(r => r.ForwardError):E2} | {g.Max(r => r.GradError):E2} |").ToList();
        var table = "| op | cases | max forward abs error | max gradient abs error |\n|---|---|---|---|\n" + string.Join("\n", rows);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "conformance-errors.md"), table + "\n");
        output.WriteLine(table);
        Assert.NotEmpty(rows);
    }

    sealed record Result(string Op, double ForwardError, double GradError, List<string> Failures);

    static Result Check(Fixture f)
    {
        var failures = new List<string>();
        var inputs = f.Inputs.Select(t => t.DType.IsFloatingPoint() ? t.Detach().RequiresGrad_() : t).ToArray();
        var outputs = TorchOps.Run(f.Op, f.Kwargs, inputs);
        if (outputs.Length != f.Outputs.Length)
            failures.Add($"{f.Id}: {outputs.Length} outputs, fixture has {f.Outputs.Length}");

        double forwardError = 0, gradError = 0;
        for (int i = 0; i < Math.Min(outputs.Length, f.Outputs.Length); i++)
            forwardError = Math.Max(forwardError, Compare($"{f.Id} out{i}", f.Outputs[i], outputs[i], ForwardRtol, ForwardAtol, failures));

        var floatOutputs = outputs.Where(o => o.DType.IsFloatingPoint()).ToArray();
        for (int i = 0; i < Math.Min(floatOutputs.Length, f.UpstreamGrads.Length); i++)
            if (floatOutputs[i].RequiresGrad) floatOutputs[i].Backward(f.UpstreamGrads[i], retainGraph: true);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (f.InputGrads[i] is not { } expected) continue;
            var actual = inputs[i].Grad ?? Tensor.ZerosLike(expected);
            gradError = Math.Max(gradError, Compare($"{f.Id} grad{i}", expected, actual, GradTol, GradTol, failures));
        }
        return new Result(f.Op, forwardError, gradError, failures);
    }

    /// <summary>Max absolute difference; records a failure where |a − e| > atol + rtol·|e| or NaN/Inf placement differs.</summary>
    static double Compare(string what, Tensor expected, Tensor actual, double rtol, double atol, List<string> failures)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            failures.Add($"{what}: shape {Fmt(actual)} but PyTorch gives {Fmt(expected)}");
            return double.PositiveInfinity;
        }
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double worst = 0;
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) || double.IsInfinity(e[i]))
            {
                if (!(e[i].Equals(a[i]))) failures.Add($"{what}[{i}]: {a[i]} but PyTorch gives {e[i]}");
                continue;
            }
            double diff = Math.Abs(a[i] - e[i]);
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            worst = Math.Max(worst, diff);
            if (diff > atol + rtol * Math.Abs(e[i]) && failures.Count < 20)
                failures.Add($"{what}[{i}]: {a[i]:R} but PyTorch gives {e[i]:R} (|diff| {diff:E2})");
        }
        return worst;
    }

    static string Fmt(Tensor t) => "(" + string.Join(",", t.Shape.ToArray()) + ")";
}
