using System.Diagnostics;
using System.Globalization;

namespace SharpAttention.Bench;

/// <summary>
/// Runs bench/anchors/torch_anchor.py (Debian's torch 1.13 calling OpenBLAS) as a subprocess and reads its
/// `&lt;name&gt; &lt;value&gt; &lt;unit&gt;` lines. The script picks OpenBLAS's strongest kernel for the CPU itself (so an AVX2
/// rerun of ours still meets torch at its best) and first prints a `# torch anchor: …` line naming the kernel that
/// ran, which is passed on once per run. A machine without /usr/bin/python3 or torch gets no anchor figures rather
/// than a failed run; any other failure of the script is a bug and throws.
/// </summary>
internal static class TorchAnchor
{
    /// <summary>Debian's interpreter, which has python3-torch; a pyenv `python3` earlier on PATH does not.</summary>
    const string Python = "/usr/bin/python3";

    /// <summary>The script's exit code for "torch is not installed" (see torch_anchor.py).</summary>
    const int TorchMissing = 3;

    /// <summary>Figures by name, or null when the anchor cannot run on this machine; <paramref name="options"/> go to
    /// the script after the group (e.g. `--shape n2048` for one attention shape).</summary>
    public static Dictionary<string, double>? Run(string group, RunPlan plan, params string[] options)
    {
        if (!File.Exists(Python))
        {
            Console.Error.WriteLine($"torch anchor: {Python} not found");
            return null;
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(ScriptPath());
        start.ArgumentList.Add(group);
        foreach (string option in options) start.ArgumentList.Add(option);
        start.ArgumentList.Add("--threads");
        start.ArgumentList.Add(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        if (plan.IsQuick) start.ArgumentList.Add("--quick");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"torch anchor: could not start {Python}");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode == TorchMissing) return null;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"torch anchor: torch_anchor.py {group} exited with code {process.ExitCode}");
        return Parse(output);
    }

    /// <summary>Runs the anchor's <paramref name="group"/> and prints `&lt;name&gt;_torch` and `&lt;name&gt;_vs_torch` beside our
    /// <paramref name="ours"/> (see <see cref="Beside"/>); returns torch's figure, or null when it is unavailable.</summary>
    public static double? ReportBeside(string group, RunPlan plan, string name, double ours, string unit) =>
        Beside(Run(group, plan), name + "_torch", name + "_vs_torch", ours, unit);

    /// <summary>Prints the anchor's figure <paramref name="theirs"/> and <paramref name="ratio"/> = ours over theirs (for a
    /// higher-is-better figure), or both as unavailable when <paramref name="anchor"/> is null; returns the anchor's figure.</summary>
    public static double? Beside(Dictionary<string, double>? anchor, string theirs, string ratio, double ours, string unit)
    {
        if (anchor is null)
        {
            Report.Unavailable(theirs);
            Report.Unavailable(ratio);
            return null;
        }
        if (!anchor.TryGetValue(theirs, out double figure))
            throw new InvalidOperationException($"torch_anchor.py printed no {theirs}");
        Report.Figure(theirs, figure, unit);
        Report.Figure(ratio, ours / figure, "x", decimals: 2);
        return figure;
    }

    /// <summary>The script's `#` lines already passed on in this run.</summary>
    static readonly HashSet<string> Described = [];

    static Dictionary<string, double> Parse(string output) =>
        Report.Parse(output, "torch anchor", line => { if (Described.Add(line)) Console.WriteLine(line); });

    /// <summary>The script sits in the source tree; the program runs from bench/SharpAttention.Bench/bin/..., so look upwards.</summary>
    static string ScriptPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bench", "anchors", "torch_anchor.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"torch anchor: bench/anchors/torch_anchor.py not found above {AppContext.BaseDirectory}");
    }
}
