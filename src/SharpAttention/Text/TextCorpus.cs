using System.Text;

namespace SharpAttention.Text;

/// <summary>
/// The text a tokenizer trains on, streamed line by line: files, folders (every file below, in ordinal path order, so
/// the same folder always gives the same stream) or strings already in memory. Nothing is read before it is needed.
/// </summary>
public static class TextCorpus
{
    /// <summary>The lines of every file named or found under the folders named in <paramref name="paths"/> (UTF-8).</summary>
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
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) files.Add(path);
            else if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else throw new FileNotFoundException($"corpus: {path} is neither a file nor a folder", path);
        }
        return files;
    }
}
