using System.Diagnostics;
using System.Text;

namespace SharpAttention.IO;

/// <summary>
/// Saves that a crash or a kill cannot tear: the content goes to a temporary file beside the target
/// (<c>NAME.RANDOM.tmp</c>), is flushed to disk, and is renamed over the target, so the target is always either its
/// old or its new content. A killed save leaves only its <c>.tmp</c> file, which <see cref="RemoveStale"/> clears
/// when the next run starts.
/// </summary>
public static class AtomicFile
{
    /// <summary>How every temporary file of a save ends.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>. With <paramref name="previousPath"/>, the
    /// file being replaced is first renamed there (after the new content is safely on disk), so the last two versions
    /// survive; between the two renames only the previous one exists, never a torn file.</summary>
    public static void Write(string path, Action<Stream> write, string? previousPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid().ToString("N")[..8]}{TemporarySuffix}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                if (KillSwitch.Armed(KillSwitch.Save, full)) KillSwitch.FireHalfway(stream, write);
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            if (previousPath != null && File.Exists(full)) File.Move(full, Path.GetFullPath(previousPath), overwrite: true);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text, string? previousPath = null) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)), previousPath);

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Deletes the temporary files of saves that never finished in <paramref name="folder"/> (not below it) and
    /// returns their names; a missing folder has none. Call it before a run starts writing there.</summary>
    public static IReadOnlyList<string> RemoveStale(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var removed = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*" + TemporarySuffix).Order(StringComparer.Ordinal))
        {
            File.Delete(file);
            removed.Add(Path.GetFileName(file));
        }
        return removed;
    }
}

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
