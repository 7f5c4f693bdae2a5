using SharpAttention.Data;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// A folder per class: <c>root/&lt;label&gt;/*.txt</c>, one text per file, each file UTF-8 or — failing strict UTF-8
/// decoding — Latin-1. Classes come in ordinal order of their folder names, files in ordinal order of their names, so
/// the result does not depend on the file system's listing order.
/// </summary>
public static class ClassFolderReader
{
    /// <exception cref="DataFormatException">the root has no class folders, a class folder has no .txt file, or a
    /// file is empty.</exception>
    public static IReadOnlyList<LabeledText> Read(string root, string pattern = "*.txt")
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: folder does not exist");
        var classes = Directory.GetDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new DataFormatException(root, null, $"no class folders: expected one folder per label holding {pattern} files, e.g. {Path.Combine(root, "positive", "1.txt")}");
        var rows = new List<LabeledText>();
        foreach (var dir in classes)
        {
            var label = Path.GetFileName(dir);
            var files = Directory.GetFiles(dir, pattern).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new DataFormatException(dir, null, $"class '{label}' is empty: no {pattern} files in its folder");
            foreach (var file in files)
            {
                var text = TextFiles.ReadAllText(file);
                if (text.Trim().Length == 0) throw new DataFormatException(file, null, "empty text");
                rows.Add(new LabeledText(text, label, file));
            }
        }
        return rows;
    }
}
