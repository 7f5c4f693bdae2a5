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
    /// Text of <paramref name="bytes"/> in the named charset. Without a charset, or with one that .NET does not know,
    /// the bytes are read as UTF-8 if valid, else Latin-1; "us-ascii" is read the same way, since mail labelled ASCII
    /// often carries 8-bit text. When the bytes break the named charset they are read as UTF-8 if valid (mislabelled
    /// mail); failing that, a label "utf-8" gives way to Latin-1 (8-bit text called UTF-8), while any other charset
    /// is kept and only its invalid bytes dropped (a Chinese or Korean mail with one stray byte stays Chinese or
    /// Korean rather than turning into Latin-1 mojibake; an ASCII byte that follows a stray lead byte stays, as the
    /// WHATWG Encoding Standard's multi-byte decoders re-read it).
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
                if (encoding.CodePage != Encoding.UTF8.CodePage && !TextFiles.TryDecodeUtf8(bytes, out _))
                {
                    var lenient = (Encoding)encoding.Clone();
                    lenient.DecoderFallback = DropInvalidKeepAscii.Instance;
                    return lenient.GetString(bytes);
                }
            }
        }
        return TextFiles.Decode(bytes);
    }

    /// <summary>Whether <paramref name="charset"/> names an encoding other than ASCII that .NET knows.</summary>
    public static bool IsKnownCharset(string? charset) => EncodingFor(charset) != null;

    /// <summary>The .NET encoding of a charset name that throws on invalid bytes, or null when unknown or ASCII. Mail
    /// programs' own spellings are mapped: "GB2312_CHARSET" (Windows font charset names) → gb2312, "CHINESEBIG5" →
    /// big5.</summary>
    static Encoding? EncodingFor(string? charset)
    {
        var name = charset?.Trim().Trim('"', '\'', ' ').ToLowerInvariant();
        if (name != null && name.EndsWith("_charset", StringComparison.Ordinal)) name = name[..^"_charset".Length];
        if (name == "chinesebig5") name = "big5";
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

    /// <summary>Drops the bytes a decoder cannot map but keeps the ASCII ones among them: .NET hands a stray lead byte
    /// and the ASCII byte after it over together.</summary>
    sealed class DropInvalidKeepAscii : DecoderFallback
    {
        public static readonly DropInvalidKeepAscii Instance = new();

        public override int MaxCharCount => 4;   // GB18030's longest sequence

        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer();

        sealed class Buffer : DecoderFallbackBuffer
        {
            string chars = "";
            int next;

            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                chars = new string([.. bytesUnknown.Where(b => b < 0x80).Select(b => (char)b)]);
                next = 0;
                return chars.Length > 0;
            }

            public override char GetNextChar() => next < chars.Length ? chars[next++] : '\0';

            public override bool MovePrevious()
            {
                if (next == 0) return false;
                next--;
                return true;
            }

            public override int Remaining => chars.Length - next;

            public override void Reset() => (chars, next) = ("", 0);
        }
    }
}
