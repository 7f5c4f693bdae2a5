using System.Diagnostics;

namespace SharpAttention.IO;

/// <summary>
/// A test hook for kill-and-resume tests: with SHARPATTENTION_TEST_KILL=save:N (the N-th atomic save), save:NAME (the
/// first save of a file called NAME) or metrics:N (the N-th metrics row) the process kills itself with SIGKILL, as
/// <c>kill -9</c> would, half-way through that write, so a test reaches those moments deterministically instead of by
/// timing. Unset, it costs one field read per save.
/// </summary>
internal static class KillSwitch
{
    public const string Save = "save", Metrics = "metrics";
    const string Variable = "SHARPATTENTION_TEST_KILL";

    static readonly (string Kind, int At, string? Name)? Target = Parse(Environment.GetEnvironmentVariable(Variable));
    static int saves, rows;

    static (string, int, string?)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(':', 2);
        if (parts.Length == 2 && parts[0] is Save or Metrics)
        {
            if (int.TryParse(parts[1], out int at) && at > 0) return (parts[0], at, null);
            if (parts[0] == Save && parts[1].Length > 0) return (parts[0], 0, parts[1]);
        }
        throw new InvalidOperationException($"{Variable}={value}: expected save:N, save:FILE-NAME or metrics:N with N ≥ 1");
    }

    /// <summary>Counts one write of <paramref name="kind"/> (to <paramref name="path"/>); true when it is the one to die in.</summary>
    public static bool Armed(string kind, string? path = null)
    {
        if (Target is not { } t || t.Kind != kind) return false;
        if (t.Name != null) return Path.GetFileName(path) == t.Name && Interlocked.Exchange(ref saves, 1) == 0;
        return Interlocked.Increment(ref kind == Save ? ref saves : ref rows) == t.At;
    }

    /// <summary>Writes the first half of what <paramref name="write"/> produces, flushes it to disk, and dies.</summary>
    public static void FireHalfway(Stream stream, Action<Stream> write)
    {
        var buffer = new MemoryStream();
        write(buffer);
        stream.Write(buffer.GetBuffer(), 0, (int)(buffer.Length / 2));
        Die(stream);
    }

    public static void Die(Stream flushFirst)
    {
        flushFirst.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite);   // the signal is asynchronous: never run past the kill point
    }
}
