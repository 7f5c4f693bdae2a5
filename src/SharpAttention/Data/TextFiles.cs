using System.Text;

namespace SharpAttention.Data;

/// <summary>
/// Text of unknown encoding: strict UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, else ISO-8859-1, which
/// maps every byte to a character and so never fails — the usual guess for old mail and Western European text.
/// </summary>
public static class TextFiles
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a whole file as UTF-8 or, failing strict decoding, Latin-1.</summary>
    public static string ReadAllText(string path) => Decode(File.ReadAllBytes(path));

    /// <summary>Decodes bytes as strict UTF-8 (without a leading BOM) or, when that fails, as Latin-1.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
        if (bytes.StartsWith(bom)) bytes = bytes[3..];
        return TryDecodeUtf8(bytes, out var text) ? text : Encoding.Latin1.GetString(bytes);
    }

    /// <summary>True and the text when <paramref name="bytes"/> are valid UTF-8.</summary>
    public static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }
}
