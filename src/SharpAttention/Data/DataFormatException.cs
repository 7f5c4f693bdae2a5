namespace SharpAttention.Data;

/// <summary>
/// A data file that cannot be read as what it claims to be: a CSV row without the text column, a ragged row, an empty
/// text, a JSON Lines line that is not an object. The message starts with the file and, where one is to blame, the
/// 1-based line — <c>data/train.csv:17: ...</c> — so a command-line tool can print it as one line.
/// </summary>
public sealed class DataFormatException : FormatException
{
    public string File { get; }
    public int? Line { get; }

    public DataFormatException(string file, int? line, string problem, Exception? inner = null)
        : base(line is int l ? $"{file}:{l}: {problem}" : $"{file}: {problem}", inner)
    {
        File = file;
        Line = line;
    }
}
