using Microsoft.ML.Tokenizers;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>Documents tokenized into a <see cref="TokenFile"/>: each document's ids, then (when given) the end-of-text
/// id, so the model learns where a text ends and generation can stop there.</summary>
public static class CorpusTokens
{
    /// <summary>Tokenizes <paramref name="documents"/> line by line (each line with its '\n', so nothing but the
    /// document's end is lost) into <paramref name="path"/>; returns the token count and the UTF-8 bytes of the text
    /// (a document's bytes, plus one for each end-of-text token standing for its separation).</summary>
    public static (long Tokens, long Bytes) Write(string path, IEnumerable<string> documents, Tokenizer tokenizer, int? endOfText)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(tokenizer);
        long bytes = 0;
        long tokens = TokenFile.Write(path, Encode(documents, tokenizer, endOfText, b => bytes += b));
        return (tokens, bytes);
    }

    /// <summary>The ids of <paramref name="documents"/> in memory (evaluation of a file), with their UTF-8 bytes.</summary>
    public static (int[] Ids, long Bytes) Encode(IEnumerable<string> documents, Tokenizer tokenizer, int? endOfText)
    {
        long bytes = 0;
        var ids = Encode(documents, tokenizer, endOfText, b => bytes += b).SelectMany(m => m.ToArray()).ToArray();
        return (ids, bytes);
    }

    static IEnumerable<ReadOnlyMemory<int>> Encode(IEnumerable<string> documents, Tokenizer tokenizer, int? endOfText, Action<long> countBytes)
    {
        var buffer = new List<int>(1 << 16);
        foreach (var document in documents)
        {
            countBytes(System.Text.Encoding.UTF8.GetByteCount(document) + (endOfText is null ? 0 : 1));
            int from = 0;
            while (from < document.Length)
            {
                int end = document.IndexOf('\n', from);
                end = end < 0 ? document.Length : end + 1;
                buffer.AddRange(tokenizer.EncodeToIds(document[from..end]));
                from = end;
                if (buffer.Count >= 1 << 16)
                {
                    yield return buffer.ToArray();
                    buffer.Clear();
                }
            }
            if (endOfText is int eos) buffer.Add(eos);
        }
        if (buffer.Count > 0) yield return buffer.ToArray();
    }
}
