using System.Text;
using System.Text.Json.Nodes;

namespace SharpAttention.Training;

// Reports of the metrics: the results.json object and the confusion matrix as a text table.
public sealed partial class ClassificationMetrics
{
    /// <summary>
    /// The metrics as a JSON object, for results.json and <c>eval --json</c>: count, accuracy, macro precision /
    /// recall / F1, micro F1, roc_auc (two classes only), the labels, per_class {label: {precision, recall, f1,
    /// support}} and confusion_matrix (rows = true class, columns = predicted, in the labels' order).
    /// </summary>
    /// <param name="labels">class names in class-index order; by default "0", "1", …</param>
    public JsonObject ToJson(IReadOnlyList<string>? labels = null)
    {
        labels = CheckLabels(labels);
        var perClass = new JsonObject();
        for (int c = 0; c < NumClasses; c++)
            perClass[labels[c]] = new JsonObject
            {
                ["precision"] = Precision(c), ["recall"] = Recall(c), ["f1"] = F1(c), ["support"] = Support(c),
            };
        var matrix = new JsonArray();
        for (int t = 0; t < NumClasses; t++)
        {
            var row = new JsonArray();
            for (int p = 0; p < NumClasses; p++) row.Add(confusion[t, p]);
            matrix.Add(row);
        }
        var json = new JsonObject
        {
            ["count"] = Count,
            ["accuracy"] = Accuracy,
            ["macro_precision"] = MacroPrecision,
            ["macro_recall"] = MacroRecall,
            ["macro_f1"] = MacroF1,
            ["micro_f1"] = MicroF1,
        };
        if (RocAuc is double auc) json["roc_auc"] = auc;
        json["labels"] = new JsonArray([.. labels.Select(l => (JsonNode?)l)]);
        json["per_class"] = perClass;
        json["confusion_matrix"] = matrix;
        return json;
    }

    /// <summary>
    /// The confusion matrix as a plain-text table: one row per true class, one column per predicted class, counts
    /// right-aligned, e.g.
    /// <code>
    /// true \ predicted  ham  spam
    /// ham               498     2
    /// spam                3    97
    /// </code>
    /// </summary>
    public string ConfusionTable(IReadOnlyList<string>? labels = null)
    {
        labels = CheckLabels(labels);
        const string corner = "true \\ predicted";
        int first = Math.Max(corner.Length, labels.Max(l => l.Length));
        var widths = new int[NumClasses];
        for (int p = 0; p < NumClasses; p++)
        {
            widths[p] = labels[p].Length;
            for (int t = 0; t < NumClasses; t++) widths[p] = Math.Max(widths[p], confusion[t, p].ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        }
        var sb = new StringBuilder();
        sb.Append(corner.PadRight(first));
        for (int p = 0; p < NumClasses; p++) sb.Append("  ").Append(labels[p].PadLeft(widths[p]));
        sb.Append('\n');
        for (int t = 0; t < NumClasses; t++)
        {
            sb.Append(labels[t].PadRight(first));
            for (int p = 0; p < NumClasses; p++)
                sb.Append("  ").Append(confusion[t, p].ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(widths[p]));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    IReadOnlyList<string> CheckLabels(IReadOnlyList<string>? labels)
    {
        labels ??= [.. Enumerable.Range(0, NumClasses).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        if (labels.Count != NumClasses) throw new ArgumentException($"metrics: {labels.Count} labels for {NumClasses} classes", nameof(labels));
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Count) throw new ArgumentException($"metrics: labels [{string.Join(", ", labels)}] repeat a name", nameof(labels));
        return labels;
    }
}
