using System.Text;

namespace SharpAttention.Data.Mail;

/// <summary>
/// The decoding steps of MIME (RFC 2045–2046) for mail bodies held as Latin-1 strings (one char per byte, so no byte
/// is lost before the charset is known): transfer encodings to bytes, and bytes to text by a charset name.
/// Lenient throughout, as real mail needs: malformed input is decoded as far as it goes, never rejected.
/// </summary>
public static class MimeDecoding
{
    /// <summary>The bytes a part's body stands for under its Content-Transfer-Encoding (7bit/8bit/binary: as is).</summary>
    public static byte[] DecodeTransfer(string body, string? transferEncoding) =>
        transferEncoding?.Trim().ToLowerInvariant() switch
        {
            "quoted-printable" => QuotedPrintable(body),
            "base64" => Base64(body),
            _ => Encoding.Latin1.GetBytes(body),
        };

    /// <summary>Quoted-printable (RFC 2045 §6.7): "=XX" is the byte 0xXX, "=" at a line end is a soft break; an "="
    /// followed by anything else is kept literally.</summary>
    public static byte[] QuotedPrintable(string body)
    {
        var bytes = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '=')
            {
                if (i + 1 < body.Length && body[i + 1] == '\n') { i += 1; continue; }
                if (i + 2 < body.Length && body[i + 1] == '\r' && body[i + 2] == '\n') { i += 2; continue; }
                if (i + 2 < body.Length && Uri.IsHexDigit(body[i + 1]) && Uri.IsHexDigit(body[i + 2]))
                {
                    bytes.Add((byte)(Convert.ToInt32(body.Substring(i + 1, 2), 16)));
                    i += 2;
                    continue;
                }
            }
            bytes.Add((byte)c);
        }
        return [.. bytes];
    }

    /// <summary>Base64 (RFC 2045 §6.8), skipping line breaks and any character outside the alphabet, and decoding a
    /// truncated last group as far as it goes.</summary>
    public static byte[] Base64(string body)
    {
        var sb = new StringBuilder(body.Length);
        foreach (char c in body)
        {
            if (c == '=') break;
            if (char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/') sb.Append(c);
        }
        if (sb.Length % 4 == 1) sb.Length--;
        while (sb.Length % 4 != 0) sb.Append('=');
        return Convert.FromBase64String(sb.ToString());
    }

    /// <summary>
    /// Text of <paramref name="bytes"/> in the named charset. Without a charset, or with one that the bytes break
    /// (e.g. "utf-8" on Latin-1 bytes) or that .NET does not know, the bytes are read as UTF-8 if valid, else Latin-1.
    /// "us-ascii" is read the same way, since mail labelled ASCII often carries 8-bit text.
    /// </summary>
    public static string DecodeCharset(byte[] bytes, string? charset)
    {
        var encoding = EncodingFor(charset);
        if (encoding != null)
        {
            try
            {
                return encoding.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
            }
        }
        return TextFiles.Decode(bytes);
    }

    /// <summary>The .NET encoding of a charset name that throws on invalid bytes, or null when unknown or ASCII.</summary>
    static Encoding? EncodingFor(string? charset)
    {
        var name = charset?.Trim().Trim('"', '\'').ToLowerInvariant();
        if (string.IsNullOrEmpty(name) || name is "us-ascii" or "ascii") return null;
        try
        {
            return Encoding.GetEncoding(name, EncoderFallback.ReplacementFallback, DecoderFallback.ExceptionFallback);
        }
        catch (ArgumentException)
        {
            // Code pages beyond the built-in few (windows-1252, koi8-r, gb2312, …) ship with .NET but are not
            // registered by default; asking the provider directly avoids changing process-wide state.
            return CodePagesEncodingProvider.Instance.GetEncoding(name, EncoderFallback.ReplacementFallback, DecoderFallback.ExceptionFallback);
        }
    }
}
