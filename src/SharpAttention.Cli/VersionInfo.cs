using System.Reflection;

namespace SharpAttention.Cli;

/// <summary>
/// `attn --version --verbose`: the version line `attn --version` prints, then the kernel paths this machine runs
/// (<see cref="KernelInfo.Describe"/>: GEMM micro-kernel, attention tile width, transposes, elementwise width), so a
/// user or CI can see whether the fast paths are in use. Plain `--version` stays System.CommandLine's.
/// </summary>
internal static class VersionInfo
{
    /// <summary>Handles the command line when it is exactly --version and --verbose (either order); false otherwise.</summary>
    public static bool TryRun(string[] args, TextWriter output)
    {
        if (args.Length != 2 || !args.Contains("--version") || !args.Contains("--verbose")) return false;
        output.WriteLine(Version);
        output.WriteLine(KernelInfo.Describe());
        return true;
    }

    /// <summary>The tool's informational version, as `attn --version` prints it.</summary>
    static string Version
    {
        get
        {
            var assembly = typeof(VersionInfo).Assembly;
            return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                   ?? assembly.GetName().Version?.ToString() ?? "unknown";
        }
    }
}
