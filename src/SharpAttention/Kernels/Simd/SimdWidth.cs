using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// The vector width (bits) the SIMD drivers use: the widest the hardware accelerates (512, 256, 128, or 0 for
/// scalar code). Tests lower <see cref="Max"/> to run every narrower path this machine can execute, so each ISA
/// path is checked against its reference twin, not only the widest one (the "force the narrower paths").
/// Drivers read <see cref="Current"/> once per call and also test IsHardwareAccelerated, so the JIT drops paths a
/// machine cannot run.
/// </summary>
internal static class SimdWidth
{
    /// <summary>Widest accelerated width on this machine.</summary>
    public static readonly int Hardware =
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;

    static int current = Hardware;

    /// <summary>The width drivers use now: <see cref="Hardware"/> unless a test lowered it.</summary>
    public static int Current => current;

    /// <summary>Test hook: caps the width (512, 256, 128 or 0); values above <see cref="Hardware"/> are capped to it.
    /// Global, not per thread, because worker threads must take the same path as the caller.</summary>
    internal static int Max
    {
        get => current;
        set
        {
            if (value is not (512 or 256 or 128 or 0))
                throw new ArgumentOutOfRangeException(nameof(value), value, "SimdWidth.Max: 512, 256, 128 or 0");
            current = Math.Min(value, Hardware);
        }
    }

    /// <summary>The widths this machine can run, widest first (what tests iterate over).</summary>
    internal static int[] Supported => Hardware switch
    {
        512 => [512, 256, 128, 0],
        256 => [256, 128, 0],
        128 => [128, 0],
        _ => [0],
    };

    /// <summary>Sets <see cref="Max"/> until disposed: <c>using (SimdWidth.Force(128)) { ... }</c>.</summary>
    internal static Override Force(int width)
    {
        var o = new Override(current);
        Max = width;
        return o;
    }

    internal readonly struct Override(int previous) : IDisposable
    {
        public void Dispose() => current = previous;
    }
}
