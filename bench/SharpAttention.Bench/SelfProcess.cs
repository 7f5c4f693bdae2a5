using System.Diagnostics;
using System.Reflection;

namespace SharpAttention.Bench;

/// <summary>Starts this benchmark program again as a child process with its standard output captured: a fresh process
/// has its own heap, JIT state and environment (AttentionMemory.cs, Avx2Rerun.cs).</summary>
internal static class SelfProcess
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet SharpAttention.Bench.dll` the process is the host; the entry assembly comes first then.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return start;
    }
}
