using System.Text;

namespace SharpAttention.Text;

/// <summary>
/// The text a tokenizer trains on, streamed: files, folders (every file below, in ordinal path order, so the same
/// folder always gives the same stream) or strings already in memory. Nothing is read before it is needed.
/// </summary>
public static class TextCorpus
{
    /// <summary>Characters per block of <see cref="LineBlocks"/>: big enough that handing blocks to threads costs
    /// nothing, small enough that all threads get work on a small corpus.</summary>
    internal const int BlockChars = 1 << 16;

    /// <summary>The lines of every file named or found under the folders named in <paramref name="paths"/> (UTF-8),
    /// without their line ends.</summary>
    public static IEnumerable<string> Lines(params IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var file in Files(paths))
            foreach (var line in File.ReadLines(file, Encoding.UTF8))
                yield return line;
    }

    /// <summary>The files <paramref name="paths"/> name, folders expanded; a path that is neither is an error naming it.</summary>
    public static IReadOnlyList<string> Files(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) files.Add(path);
            else if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else throw new FileNotFoundException($"training data '{path}' is neither a file nor a folder", path);
        }
        return files;
    }

    /// <summary>The files in blocks of about <see cref="BlockChars"/> characters, each ending after a '\n' (or at a
    /// file's end), so no line is split between two blocks and line ends are kept, as Hugging Face's trainer reads
    /// files. A BOM is not text.</summary>
    internal static IEnumerable<string> LineBlocks(IEnumerable<string> files)
    {
        foreach (var path in files)
        {
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var buffer = new char[BlockChars];
            var carry = new StringBuilder();
            for (int read; (read = reader.Read(buffer, 0, buffer.Length)) > 0;)
            {
                int lastLineEnd = buffer.AsSpan(0, read).LastIndexOf('\n');
                if (lastLineEnd < 0) { carry.Append(buffer, 0, read); continue; }
                carry.Append(buffer, 0, lastLineEnd + 1);
                yield return carry.ToString();
                carry.Clear().Append(buffer, lastLineEnd + 1, read - lastLineEnd - 1);
            }
            if (carry.Length > 0) yield return carry.ToString();
        }
    }
}
