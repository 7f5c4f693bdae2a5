using System.Text;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>Where one document ends: at a file's end, or also at every blank line.</summary>
public enum DocumentSplit
{
    /// <summary>Each file is one document.</summary>
    File,

    /// <summary>Each block of non-blank lines is a document (paragraphs, or texts separated by empty lines).</summary>
    BlankLine,
}

/// <summary>
/// Plain-text documents streamed from files or folders (every file below a folder, in ordinal path order; UTF-8, a BOM
/// dropped). Lines keep their '\n'; a document's trailing line ends are removed. Nothing is held beyond one document.
/// </summary>
public static class TextDocuments
{
    /// <summary>The documents of <paramref name="paths"/>, in order.</summary>
    public static IEnumerable<string> Read(IEnumerable<string> paths, DocumentSplit split)
    {
        foreach (var file in Text.TextCorpus.Files(paths))
        {
            if (split == DocumentSplit.File)
            {
                var text = File.ReadAllText(file, Encoding.UTF8).ReplaceLineEndings("\n").TrimEnd('\n');
                if (text.Length > 0) yield return text;
                continue;
            }
            var block = new StringBuilder();
            foreach (var line in File.ReadLines(file, Encoding.UTF8))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    if (block.Length > 0) yield return block.ToString().TrimEnd('\n');
                    block.Clear();
                    continue;
                }
                block.Append(line).Append('\n');
            }
            if (block.Length > 0) yield return block.ToString().TrimEnd('\n');
        }
    }
}
