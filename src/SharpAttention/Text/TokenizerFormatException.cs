namespace SharpAttention.Text;

/// <summary>
/// A tokenizer file that cannot be read as what it claims to be (a truncated vocab.json, a merges.txt line naming a
/// token the vocabulary lacks, a vocabulary without its declared special tokens). The message starts with the file
/// and, where one is to blame, the 1-based line: <c>tok/merges.txt:17: ...</c>.
/// </summary>
public sealed class TokenizerFormatException : FormatException
{
    public string File { get; }
    public int? Line { get; }

    public TokenizerFormatException(string file, int? line, string problem, Exception? inner = null)
        : base(line is int l ? $"{file}:{l}: {problem}" : $"{file}: {problem}", inner)
    {
        File = file;
        Line = line;
    }
}
