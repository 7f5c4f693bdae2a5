using SharpAttention.Data;

namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// CoNLL-style column files (CoNLL-2000/2003, Universal Dependencies' word/tag columns): one token per line, columns
/// separated by tabs — or, on a line without a tab, by runs of spaces — a blank line between sentences, and
/// <c>-DOCSTART-</c> document markers skipped. Lines starting with <c>#</c> before a sentence (CoNLL-U comments) are
/// skipped too.
/// </summary>
public static class ConllReader
{
    /// <param name="path">the file to read.</param>
    /// <param name="tokenColumn">0-based column of the word.</param>
    /// <param name="tagColumn">0-based column of the tag; negative counts from the end (-1: the last, CoNLL-2003's NER).</param>
    /// <exception cref="DataFormatException">a line has too few columns for the word or the tag.</exception>
    public static IReadOnlyList<TaggedSequence> Read(string path, int tokenColumn = 0, int tagColumn = -1)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file does not exist", path);
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        return Parse(reader, path, tokenColumn, tagColumn);
    }

    /// <summary>Parses text already open; <paramref name="source"/> names it in messages.</summary>
    public static IReadOnlyList<TaggedSequence> Parse(TextReader reader, string source, int tokenColumn = 0, int tagColumn = -1)
    {
        if (tokenColumn < 0) throw new ArgumentOutOfRangeException(nameof(tokenColumn), $"CoNLL reader: token column must be ≥ 0, got {tokenColumn}");
        var sentences = new List<TaggedSequence>();
        var words = new List<string>();
        var tags = new List<string>();
        int first = 0, number = 0;
        void Flush()
        {
            if (words.Count > 0) sentences.Add(new TaggedSequence([.. words], [.. tags], source, first));
            words.Clear();
            tags.Clear();
        }
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            number++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0) { Flush(); continue; }
            if (words.Count == 0 && trimmed.StartsWith('#')) continue;
            var columns = trimmed.Contains('\t')
                ? trimmed.Split('\t', StringSplitOptions.TrimEntries)
                : trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns[0] == "-DOCSTART-") { Flush(); continue; }
            int tag = tagColumn < 0 ? columns.Length + tagColumn : tagColumn;
            if (tokenColumn >= columns.Length || tag < 0 || tag >= columns.Length || tag == tokenColumn && columns.Length == 1)
                throw new DataFormatException(source, number,
                    $"{columns.Length} column(s) ('{trimmed}'), need the word in column {tokenColumn} and the tag in column {tagColumn}; separate columns with tabs or spaces");
            if (columns[tokenColumn].Length == 0 || columns[tag].Length == 0)
                throw new DataFormatException(source, number, $"empty {(columns[tokenColumn].Length == 0 ? "word" : "tag")} in '{line}'");
            if (words.Count == 0) first = number;
            words.Add(columns[tokenColumn]);
            tags.Add(columns[tag]);
        }
        Flush();
        return sentences;
    }
}
