using System.Diagnostics;
using System.Globalization;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `attn_mem_n16384`: the bytes one forward + backward at N = 16384 (B = 1, H = 8, D = 64, not causal) holds beyond
/// q, k, v, dO (made before) and o, dq, dk, dv (its results): 8 × 32 MB that any implementation needs.
/// <para>Method. Each measurement runs in a fresh child process (this program with <see cref="ProbeFlag"/>), where
/// that call is the first attention call, so workspaces a kernel allocates once and then keeps (thread-local
/// buffers, ArrayPool rentals) are allocated inside the measured call and counted. With q, k, v, dO made and a full
/// GC done, the figure is</para>
/// <para>  managed bytes allocated during the call (GC.GetTotalAllocatedBytes(precise: true) delta: new arrays,
/// fresh tensor storage, first ArrayPool rentals, every thread)
///   + tensor storage served again from the pool during the call (StoragePool.ReusedBytes delta: buffers freed
///     earlier and taken again are held too, but allocate nothing)
///   − the bytes of o, dq, dk, dv,</para>
/// <para>an upper bound on the extra bytes held at the peak (everything allocated counts, even what was freed before
/// the next allocation). Memory outside the managed heap is not seen by it, so the child also reports the peak
/// resident set (VmHWM after resetting it through /proc/self/clear_refs) above the resident set before the call, less
/// the same outputs; that cross-check goes to stderr, as it also moves with the GC's heap sizing and the JIT.</para>
/// <para>An O(N²) implementation would need tens of GB here (8·16384² floats = 8.6 GB per score tensor), so a probe
/// at N = 2048 runs first; if 64× its figure (quadratic growth) would not fit in half the available memory, the
/// figure is printed unavailable with the reason on stderr instead of exhausting a shared machine.</para>
/// </summary>
internal static class AttentionMemory
{
    public const string ProbeFlag = "--attn-mem-probe";
    const int MeasuredN = 16384, PreflightN = 2048;
    const string Name = "attn_mem_n16384";

    /// <summary>Bytes per reported MB: decimal megabytes, the larger of the two readings of "MB".</summary>
    const double Megabyte = 1e6;

    public static void Run()
    {
        var preflight = Probe(PreflightN);
        if (preflight is null)
        {
            Report.Unavailable(Name);
            return;
        }
        double projected = preflight.Value.Allocated * Math.Pow((double)MeasuredN / PreflightN, 2);
        long available = AvailableBytes();
        if (projected > available / 2.0)
        {
            Console.Error.WriteLine($"{Name}: skipped: {preflight.Value.Allocated / Megabyte:F1} MB extra at N={PreflightN} " +
                $"would grow to {projected / Megabyte:F0} MB at N={MeasuredN} if quadratic, more than half of the " +
                $"{available / Megabyte:F0} MB available");
            Report.Unavailable(Name);
            return;
        }
        var measured = Probe(MeasuredN);
        if (measured is null)
        {
            Report.Unavailable(Name);
            return;
        }
        string resident = measured.Value.Resident >= 0 ? $"{measured.Value.Resident / Megabyte:F1} MB" : "unknown";
        Console.Error.WriteLine($"{Name}: allocation-based {measured.Value.Allocated / Megabyte:F1} MB (the figure), " +
            $"peak-RSS-based {resident} (cross-check)");
        Report.Figure(Name, measured.Value.Allocated / Megabyte, "MB");
    }

    /// <summary>Runs the child; null (reason on stderr) when it fails.</summary>
    static (long Allocated, long Resident)? Probe(int n)
    {
        using var process = Process.Start(SelfProcess.StartInfo([ProbeFlag, n.ToString(CultureInfo.InvariantCulture)]))!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string[] words = output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (process.ExitCode != 0 || words.Length != 2)
        {
            Console.Error.WriteLine($"{Name}: the probe at N={n} failed (exit code {process.ExitCode}, output `{output.Trim()}`)");
            return null;
        }
        return (long.Parse(words[0], CultureInfo.InvariantCulture), long.Parse(words[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The child: one forward + backward at N = <paramref name="n"/>; prints `allocated resident` extra bytes.</summary>
    public static int RunProbe(int n)
    {
        var problem = new AttentionProblem(n, causal: false);
        var (q, k, v) = AttentionTarget.Inputs(problem, requiresGrad: true);
        var dO = Tensor.FromArray(problem.DO, AttentionTarget.ShapeOf(problem));
        long results = 4L * problem.Elements * sizeof(float); // o, dq, dk, dv

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long residentBefore = ProcStatus("VmRSS");
        bool peakReset = TryResetPeakResident();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long reusedBefore = StoragePool.ReusedBytes;

        var o = F.ScaledDotProductAttention(q, k, v);
        o.Backward(dO);

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore + (StoragePool.ReusedBytes - reusedBefore) - results;
        long resident = peakReset ? ProcStatus("VmHWM") - residentBefore - results : -1;

        // What was measured must also be right (sampled rows; the timed figures check more).
        var output = o.ToArray();
        problem.CheckForward("attention memory probe", (h, i, d) => output[(h * n + i) * AttentionProblem.D + d]);
        GC.KeepAlive(q.Grad);
        GC.KeepAlive(k.Grad);
        GC.KeepAlive(v.Grad);
        Console.WriteLine($"{allocated} {resident}");
        return 0;
    }

    /// <summary>Writing 5 to clear_refs resets the peak resident set (Linux ≥ 4.0).</summary>
    static bool TryResetPeakResident()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A `kB` line of /proc/self/status in bytes, or 0 where there is none.</summary>
    static long ProcStatus(string key) => ProcKilobytes("/proc/self/status", key);

    static long AvailableBytes()
    {
        long available = ProcKilobytes("/proc/meminfo", "MemAvailable");
        return available > 0 ? available : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    static long ProcKilobytes(string file, string key)
    {
        if (!File.Exists(file)) return 0;
        foreach (string line in File.ReadLines(file))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return 1024 * long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }
}
