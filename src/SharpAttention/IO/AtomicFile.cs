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
