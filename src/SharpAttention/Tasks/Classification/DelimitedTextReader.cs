using nietras.SeparatedValues;
using SharpAttention.Data;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// CSV or TSV with a header row (RFC 4180: quoted fields may hold separators, doubled quotes and line breaks; CRLF or
/// LF; a UTF-8 BOM is dropped; a file that is not valid UTF-8 is read as Latin-1). Parsing is the Sep library's;
/// what a row must hold is checked here, so a bad row is reported as <c>file:line: what is wrong</c>.
/// </summary>
public static class DelimitedTextReader
{
    /// <summary>Reads every row; blank lines are skipped, labels are trimmed, texts are kept as written. The
    /// <paramref name="separator"/> is ',' for CSV, '\t' for TSV; by default the file's extension decides (.tsv/.tab → tab).</summary>
    /// <exception cref="DataFormatException">a column is missing from the header, a row has another number of
    /// fields than the header, or a text or label is empty.</exception>
    public static IReadOnlyList<LabeledText> Read(string path, TextColumns? columns = null, char? separator = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file does not exist", path);
        return Parse(TextFiles.ReadAllText(path), path, columns, separator ?? SeparatorFor(path));
    }

    /// <summary>The separator a file's extension implies: tab for .tsv and .tab, else comma.</summary>
    public static char SeparatorFor(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".tsv" or ".tab" ? '\t' : ',';

    /// <summary>Parses delimited text already in memory; <paramref name="source"/> names it in messages.</summary>
    public static IReadOnlyList<LabeledText> Parse(string content, string source, TextColumns? columns = null, char separator = ',')
    {
        columns ??= TextColumns.Default;
        using var reader = Sep.New(separator).Reader(o => o with { Unescape = true, DisableColCountCheck = true }).FromText(content);
        if (reader.IsEmpty) throw new DataFormatException(source, null, "the file is empty; expected a header row naming the columns");
        var header = reader.Header.ColNames;
        int text = ColumnIndex(reader.Header, columns.Text, "text", source);
        int label = ColumnIndex(reader.Header, columns.Label, "label", source);
        var rows = new List<LabeledText>();
        foreach (var row in reader)
        {
            int line = row.LineNumberFrom;
            if (row.Span.Length == 0) continue;
            if (row.ColCount != header.Count)
                throw new DataFormatException(source, line,
                    $"{row.ColCount} field(s) where the header has {header.Count} ({string.Join(", ", header)}); quote fields that hold '{Printable(separator)}' or line breaks");
            var t = row[text].ToString();
            var l = row[label].ToString().Trim();
            if (t.Trim().Length == 0) throw new DataFormatException(source, line, $"empty text in column '{columns.Text}'");
            if (l.Length == 0) throw new DataFormatException(source, line, $"empty label in column '{columns.Label}'");
            rows.Add(new LabeledText(t, l, source, line));
        }
        return rows;
    }

    static int ColumnIndex(SepReaderHeader header, string name, string role, string source) =>
        header.TryIndexOf(name, out int index) ? index
            : throw new DataFormatException(source, 1,
                $"no {role} column '{name}' in the header ({string.Join(", ", header.ColNames.Select(c => $"'{c}'"))}); name it with the {role} column option");

    static string Printable(char separator) => separator == '\t' ? "\\t" : separator.ToString();
}
