namespace SharpAttention.Cli.Contract;

/// <summary>
/// Checks that where a verb will write is a place it can write, before the work that produces the output: a folder
/// flag naming a file, a file flag naming a folder, a missing parent or a read-only place is one line, not an
/// exception after minutes of training.
/// </summary>
public static class OutputPaths
{
    /// <summary>A folder to write into (created if missing).</summary>
    public static void WritableFolder(string flag, string path)
    {
        if (path.Length == 0) throw new UsageException($"{flag} is empty; name a folder");
        if (File.Exists(path)) throw new CliException($"{flag} {Shown.Quote(path)} is a file; {flag} names a folder");
        try
        {
            Directory.CreateDirectory(path);
            Probe(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{flag} {Shown.Quote(path)}: cannot write there ({e.Message})", e);
        }
    }

    /// <summary>A file to write, with <paramref name="extension"/>, in a folder that exists.</summary>
    public static void WritableFile(string flag, string path, string extension)
    {
        if (path.Length == 0) throw new UsageException($"{flag} is empty; name a {extension} file");
        if (Directory.Exists(path)) throw new CliException($"{flag} {Shown.Quote(path)} is a folder; name a {extension} file");
        if (!path.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) throw new CliException($"{flag} must name a {extension} file, got {Shown.Quote(path)}");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new CliException($"{flag}: folder {Shown.Quote(folder)} does not exist");
        try
        {
            Probe(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{flag}: cannot write in {Shown.Quote(folder)} ({e.Message})", e);
        }
    }

    /// <summary>Creates and deletes a file: the only sure test of write permission (ACLs, read-only mounts, root).</summary>
    static void Probe(string folder)
    {
        var probe = Path.Combine(folder, $".attn-write-test-{Environment.ProcessId}");
        using (File.Create(probe)) { }
        File.Delete(probe);
    }
}
