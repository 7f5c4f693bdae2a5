using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpAttention.Bench;

/// <summary>
/// `*_avx2`: our attention and training figures measured again in a child process of this program started with
/// AVX-512 switched off, where .NET reports no AVX-512 and the library takes its 256-bit paths, as on most laptops,
/// desktops and Intel client CPUs. The switch is <c>DOTNET_EnableAVX512=0</c>: .NET 10 ignores the older
/// <c>DOTNET_EnableAVX512F=0</c> (BENCHMARKS.md's name; measured with .NET 10.0.401: Vector512 stays accelerated). The child measures ours only (one `# cpu: …` line, which must show 256-bit
/// vectors, then `&lt;name&gt; &lt;value&gt; &lt;unit&gt;` lines); the parent prints each figure as `&lt;name&gt;_avx2` beside torch's
/// figure of the same run — torch keeps its strongest kernel — as `&lt;name&gt;_avx2_vs_torch`.
/// </summary>
internal static class Avx2Rerun
{
    public const string ChildFlag = "--avx2-child";

    /// <summary>The runtime setting that turns AVX-512 off (all of its subsets) for the child.</summary>
    const string Switch = "DOTNET_EnableAVX512";

    /// <summary>In the parent: runs the child on <paramref name="what"/> (`attention N` or `train`); returns its figures,
    /// or null (reason on stderr) where the CPU has no AVX2 to fall back to.</summary>
    public static Dictionary<string, double>? Run(RunPlan plan, params string[] what)
    {
        if (!Avx2.IsSupported)
        {
            Console.Error.WriteLine("avx2 rerun: this CPU has no AVX2");
            return null;
        }
        var start = SelfProcess.StartInfo([ChildFlag, .. what, .. plan.IsQuick ? ["--quick"] : Array.Empty<string>()]);
        start.Environment[Switch] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("avx2 rerun: could not start the child");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"avx2 rerun: the child ({string.Join(' ', what)}) exited with code {process.ExitCode}");
        return Report.Parse(output, "avx2 rerun", line => Console.WriteLine($"# avx2 rerun ({Switch}=0), {line.TrimStart('#', ' ')}"));
    }

    /// <summary>Prints the child's <paramref name="name"/> as `&lt;name&gt;_avx2` and its ratio to <paramref name="torch"/> (the
    /// anchor's figure for the same name in this run) as `&lt;name&gt;_avx2_vs_torch`, or each as unavailable.</summary>
    public static void ReportBeside(Dictionary<string, double>? child, string name, string unit, double? torch)
    {
        string avx2 = name + "_avx2", ratio = avx2 + "_vs_torch";
        if (child is null)
        {
            Report.Unavailable(avx2);
            Report.Unavailable(ratio);
            return;
        }
        if (!child.TryGetValue(name, out double ours))
            throw new InvalidOperationException($"avx2 rerun: the child printed no {name}");
        Report.Figure(avx2, ours, unit);
        if (torch is null) Report.Unavailable(ratio);
        else Report.Figure(ratio, ours / torch.Value, "x", decimals: 2);
    }

    /// <summary>In the child: `attention N [--quick]` or `train [--quick]`.</summary>
    public static int RunChild(string[] args)
    {
        Console.WriteLine(CpuLine.Describe());
        if (Vector512.IsHardwareAccelerated)
        {
            Console.Error.WriteLine($"avx2 rerun: Vector512 is still accelerated: {Switch}=0 did not take effect");
            return 1;
        }
        var plan = args.Contains("--quick") ? RunPlan.Quick : RunPlan.Full;
        switch (args)
        {
            case ["attention", var n, ..]:
                AttentionBench.MeasureOurs(new AttentionProblem(int.Parse(n, CultureInfo.InvariantCulture), causal: false), plan);
                return 0;
            case ["train", ..]:
                Report.Figure("train_step", TrainStepBench.MeasureOurs(plan), "tok/s");
                return 0;
            default:
                Console.Error.WriteLine($"avx2 rerun: unknown child arguments `{string.Join(' ', args)}`");
                return 2;
        }
    }
}
