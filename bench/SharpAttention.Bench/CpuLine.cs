using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SharpAttention.Bench;

/// <summary>
/// The first line of every benchmark output: the CPU (model, family) and the vector widths this process runs with,
/// because figures from different CPUs — or from the same CPU with AVX-512 switched off — are not comparable. It starts
/// with `#` so scripts reading `&lt;name&gt; &lt;value&gt; &lt;unit&gt;` lines skip it, e.g.
/// `# cpu: AMD EPYC 9B45 (family 26, model 2), 2 cores; vectors in use: 512-bit (AVX-512F, AVX2, FMA)`.
/// </summary>
internal static class CpuLine
{
    public static string Describe()
    {
        var (name, family, model) = Identity();
        string id = family is null ? name : $"{name} (family {family}, model {model})";
        return $"# cpu: {id}, {Environment.ProcessorCount} cores; vectors in use: {WidestInUse}-bit ({Extensions()})";
    }

    /// <summary>The widest vector width .NET accelerates in this process: 512 unless AVX-512 is absent or switched off
    /// (DOTNET_EnableAVX512F=0), which is what the library's kernels choose between.</summary>
    public static int WidestInUse =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;

    static string Extensions()
    {
        var on = new List<string>();
        if (Avx512F.IsSupported) on.Add("AVX-512F");
        if (Avx2.IsSupported) on.Add("AVX2");
        if (Fma.IsSupported) on.Add("FMA");
        if (!Avx2.IsSupported && Sse42.IsSupported) on.Add("SSE4.2"); // the 128-bit paths (DOTNET_EnableAVX2=0)
        if (AdvSimd.IsSupported) on.Add("AdvSimd");
        if (Avx512F.IsSupported && !Vector512.IsHardwareAccelerated) on.Add("Vector512 not accelerated");
        return on.Count == 0 ? "no SIMD extension" : string.Join(", ", on);
    }

    /// <summary>Brand string, family and model from CPUID on x86 (any OS); elsewhere /proc/cpuinfo's model name or the
    /// architecture, without family.</summary>
    static (string Name, int? Family, int? Model) Identity()
    {
        if (X86Base.IsSupported)
        {
            var (eax, _, _, _) = X86Base.CpuId(1, 0);
            int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
            int family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
            int model = baseFamily is 0x6 or 0xF ? (((eax >> 16) & 0xF) << 4) | baseModel : baseModel;
            return (Brand() ?? ProcCpuInfo("model name") ?? "x86-64", family, model);
        }
        string arch = RuntimeInformation.ProcessArchitecture.ToString();
        string? part = ProcCpuInfo("CPU part"); // ARM's /proc/cpuinfo has no model name on many kernels
        return (ProcCpuInfo("model name") ?? (part is null ? arch : $"{arch} part {part}"), null, null);
    }

    /// <summary>The 48-byte processor brand string of CPUID leaves 0x80000002–4, trimmed; null where absent.</summary>
    static string? Brand()
    {
        if ((uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax < 0x80000004) return null;
        var bytes = new byte[48];
        for (int leaf = 0; leaf < 3; leaf++)
        {
            var (a, b, c, d) = X86Base.CpuId(unchecked((int)0x80000002) + leaf, 0);
            int[] regs = [a, b, c, d];
            for (int r = 0; r < 4; r++) BitConverter.TryWriteBytes(bytes.AsSpan(leaf * 16 + r * 4), regs[r]);
        }
        string brand = System.Text.Encoding.ASCII.GetString(bytes).TrimEnd('\0').Trim();
        return brand.Length == 0 ? null : brand;
    }

    static string? ProcCpuInfo(string key)
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return null;
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == key) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
