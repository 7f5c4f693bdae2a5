namespace SharpAttention.Text;

/// <summary>
/// GPT-2's byte-to-unicode table (Radford et al. 2019, encoder.py's bytes_to_unicode): every byte gets one printable
/// character, so a byte string is a string without white space or control characters. Bytes that already print
/// ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 take U+0100, U+0101, … in byte order (space → 'Ġ').
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character standing for each byte.</summary>
    public static readonly char[] ByteToChar = BuildTable();

    /// <summary>The 256 characters in code-point order: the order GPT-2's vocabulary and Hugging Face's trainer give
    /// them ids in (so '!' comes first and 'Ā', byte 0, is the 189th).</summary>
    public static readonly char[] CharsInIdOrder = [.. ByteToChar.Order()];

    static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            table[b] = Prints(b) ? (char)b : (char)next++;
        return table;
    }

    static bool Prints(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    /// <summary>The byte-level spelling of <paramref name="bytes"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }
}
