using System.Diagnostics;
using System.Globalization;

namespace SharpAttention.Bench;

/// <summary>
/// Runs bench/anchors/torch_anchor.py (Debian's torch 1.13 calling OpenBLAS) as a subprocess and reads its
/// `&lt;name&gt; &lt;value&gt; &lt;unit&gt;` lines. A machine without /usr/bin/python3 or torch gets no anchor figures rather
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

    /// <summary>Runs the anchor's <paramref name="group"/> and prints `&lt;name&gt;_torch` and `&lt;name&gt;_vs_torch` (ours over
    /// theirs, for a higher-is-better figure) beside our <paramref name="ours"/>, or both as unavailable.</summary>
    public static void ReportBeside(string group, RunPlan plan, string name, double ours, string unit)
    {
        var anchor = Run(group, plan);
        if (anchor is null)
        {
            Report.Unavailable($"{name}_torch");
            Report.Unavailable($"{name}_vs_torch");
            return;
        }
        if (!anchor.TryGetValue($"{name}_torch", out double theirs))
            throw new InvalidOperationException($"torch_anchor.py printed no {name}_torch");
        Report.Figure($"{name}_torch", theirs, unit);
        Report.Figure($"{name}_vs_torch", ours / theirs, "x", decimals: 2);
    }

    static Dictionary<string, double> Parse(string output)
    {
        var figures = new Dictionary<string, double>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 3 || !double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new InvalidOperationException($"torch anchor: expected `<name> <value> <unit>`, got `{line}`");
            figures[words[0]] = value;
        }
        return figures;
    }

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
