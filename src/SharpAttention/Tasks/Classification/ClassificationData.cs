using SharpAttention.Data;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// The user's labelled texts, whatever their form: a folder per class, JSON Lines (.jsonl/.ndjson), TSV (.tsv/.tab)
/// or CSV (anything else). Also the checks a data set must pass before training, each naming what is wrong.
/// </summary>
public static class ClassificationData
{
    /// <summary>Reads a file or a folder per class by its kind (see the class summary).</summary>
    public static IReadOnlyList<LabeledText> Read(string path, TextColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return ClassFolderReader.Read(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" => JsonLinesReader.Read(path, columns),
            _ => DelimitedTextReader.Read(path, columns),
        };
    }

    /// <summary>The distinct labels of <paramref name="examples"/> in ordinal order: class i is the i-th.</summary>
    public static string[] Labels(IEnumerable<LabeledText> examples) =>
        [.. examples.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Checks a split before training: the training part must hold at least two classes, and every label of the
    /// validation and test parts must occur in training (a class the model never saw cannot be predicted).
    /// </summary>
    /// <exception cref="DataFormatException">naming the file (and line) of the offending example.</exception>
    public static void Check(ClassificationSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Train.Count == 0) throw new ArgumentException("classification data: the training part is empty");
        var labels = Labels(split.Train);
        if (labels.Length < 2)
        {
            var sources = string.Join(", ", split.Train.Select(e => e.Source).Distinct().Take(3));
            throw new DataFormatException(split.Train[0].Source, null,
                $"only one class, '{labels[0]}', in the training data ({sources}): a classifier needs at least two");
        }
        var known = new HashSet<string>(labels, StringComparer.Ordinal);
        foreach (var (part, name) in new[] { (split.Valid, "validation"), (split.Test, "test") })
            foreach (var e in part)
                if (!known.Contains(e.Label))
                    throw new DataFormatException(e.Source, e.Line,
                        $"label '{e.Label}' of the {name} data never occurs in the training data (labels: {string.Join(", ", labels.Select(l => $"'{l}'"))})");
    }

    /// <summary>Examples per label, in <paramref name="labels"/>' order (0 for a label without examples).</summary>
    public static int[] Counts(IEnumerable<LabeledText> examples, IReadOnlyList<string> labels)
    {
        var index = Index(labels);
        var counts = new int[labels.Count];
        foreach (var e in examples)
            if (index.TryGetValue(e.Label, out int i)) counts[i]++;
        return counts;
    }

    /// <summary>Label → class index.</summary>
    public static Dictionary<string, int> Index(IReadOnlyList<string> labels)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++) index.Add(labels[i], i);
        return index;
    }
}
