namespace SharpAttention.Text;

/// <summary>Turns byte offsets into 1-based line numbers, scanning forward only (offsets come in order): how the JSON
/// readers of tokenizer files name the line of a bad value, which System.Text.Json reports only for syntax errors.</summary>
internal sealed class LineCounter(byte[] bytes)
{
    long scanned;
    int line = 1;

    public int At(long offset)
    {
        for (; scanned < offset && scanned < bytes.Length; scanned++)
            if (bytes[scanned] == (byte)'\n') line++;
        return line;
    }
}
