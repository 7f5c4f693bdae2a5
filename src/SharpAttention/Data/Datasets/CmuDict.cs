using System.Text;
using System.Text.RegularExpressions;

namespace SharpAttention.Data.Datasets;

/// <summary>A word and every distinct pronunciation it has (ARPAbet phonemes).</summary>
public sealed record PronunciationEntry(string Word, IReadOnlyList<string[]> Pronunciations);

/// <summary>The three parts of a split, each a list of words with all their pronunciations.</summary>
public sealed record PronunciationSplit(IReadOnlyList<PronunciationEntry> Train, IReadOnlyList<PronunciationEntry> Dev,
    IReadOnlyList<PronunciationEntry> Test);

/// <summary>
/// The CMU Pronouncing Dictionary (cmudict) in its text form: lines <c>WORD  PH1 PH2 …</c>, alternates as
/// <c>WORD(1)</c>, ARPAbet phonemes whose vowels carry stress digits 0/1/2, comment lines starting <c>;;;</c>.
/// The grapheme-to-phoneme protocol of ../shared/DATA.md: stress stripped (39 phonemes), every pronunciation of a
/// word kept, and a deterministic split by distinct word (sorted ordinally; index mod 20 = 0 → test, 1 → dev, else
/// train) so all pronunciations of a word land in one part.
/// </summary>
public static partial class CmuDict
{
    [GeneratedRegex(@"\(\d+\)$")]
    private static partial Regex AlternateMarker();

    [GeneratedRegex(@"^[A-Z]{1,2}[012]?$")]
    private static partial Regex Phoneme();

    /// <summary>Reads a dictionary file. The file is ISO-8859-1 (a few entries such as DÉJÀ are not ASCII).</summary>
    public static IReadOnlyList<PronunciationEntry> Load(string path, bool stripStress = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"cmudict: file {path} does not exist", path);
        using var reader = new StreamReader(path, Encoding.Latin1);
        return Parse(reader, path, stripStress);
    }

    /// <summary>Parses dictionary text; a malformed line throws a <see cref="FormatException"/> naming the source and
    /// line. Words keep their spelling (upper case, apostrophes, dots); duplicate pronunciations (e.g. two that differ
    /// only in stress, once stripped) are kept once, in file order.</summary>
    public static IReadOnlyList<PronunciationEntry> Parse(TextReader reader, string source = "cmudict", bool stripStress = true)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var order = new List<string>();
        var byWord = new Dictionary<string, List<string[]>>(StringComparer.Ordinal);
        int lineNumber = 0;
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            lineNumber++;
            if (line.StartsWith(";;;", StringComparison.Ordinal) || line.Trim().Length == 0) continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
                throw new FormatException($"{source}: line {lineNumber}: expected 'WORD  PH1 PH2 …', got '{line}'");
            string word = AlternateMarker().Replace(fields[0], "");
            if (word.Length == 0) throw new FormatException($"{source}: line {lineNumber}: empty word in '{line}'");
            var phonemes = new string[fields.Length - 1];
            for (int i = 1; i < fields.Length; i++)
            {
                if (!Phoneme().IsMatch(fields[i]))
                    throw new FormatException($"{source}: line {lineNumber}: '{fields[i]}' is not an ARPAbet phoneme");
                phonemes[i - 1] = stripStress ? StripStress(fields[i]) : fields[i];
            }
            if (!byWord.TryGetValue(word, out var prons))
            {
                byWord[word] = prons = [];
                order.Add(word);
            }
            if (!prons.Any(p => p.AsSpan().SequenceEqual(phonemes))) prons.Add(phonemes);
        }
        return [.. order.Select(w => new PronunciationEntry(w, byWord[w]))];
    }

    /// <summary>AH0 → AH: drops the stress digit of a vowel.</summary>
    public static string StripStress(string phoneme) =>
        phoneme.Length > 0 && char.IsAsciiDigit(phoneme[^1]) ? phoneme[..^1] : phoneme;

    /// <summary>The protocol's split: distinct words sorted ordinally; index mod 20 == 0 → test, == 1 → dev, else train.</summary>
    public static PronunciationSplit Split(IReadOnlyList<PronunciationEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries.OrderBy(e => e.Word, StringComparer.Ordinal).ToArray();
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i].Word == sorted[i - 1].Word)
                throw new ArgumentException($"cmudict split: word '{sorted[i].Word}' appears in two entries", nameof(entries));
        List<PronunciationEntry> train = [], dev = [], test = [];
        for (int i = 0; i < sorted.Length; i++)
            (i % 20 == 0 ? test : i % 20 == 1 ? dev : train).Add(sorted[i]);
        return new PronunciationSplit(train, dev, test);
    }
}
