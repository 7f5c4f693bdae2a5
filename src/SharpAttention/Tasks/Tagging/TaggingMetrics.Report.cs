using System.Text.Json.Nodes;

namespace SharpAttention.Tasks.Tagging;

// The metrics as results.json holds them and as a log shows them.
public sealed partial class TaggingMetrics
{
    /// <summary>
    /// The metrics as a JSON object: sentences, count, accuracy, unseen_count and unseen_accuracy (with training words),
    /// per_tag {tag: {precision, recall, f1, support}}, most_confused [{gold, predicted, count}], and for BIO/BIOES
    /// span_precision / span_recall / span_f1 with per_type {type: {precision, recall, f1, correct, found, gold}}.
    /// NaN (nothing to count) is written as null.
    /// </summary>
    public JsonObject ToJson(int topConfused = 10)
    {
        var json = new JsonObject
        {
            ["sentences"] = Sentences, ["count"] = Count, ["accuracy"] = Number(Accuracy),
        };
        if (trainingWords != null)
        {
            json["unseen_count"] = UnseenCount;
            json["unseen_accuracy"] = Number(UnseenAccuracy);
        }
        var tags = new JsonObject();
        foreach (var tag in Tags)
            tags[tag] = new JsonObject
            {
                ["precision"] = Number(Precision(tag)), ["recall"] = Number(Recall(tag)), ["f1"] = F1(tag), ["support"] = Support(tag),
            };
        json["per_tag"] = tags;
        json["most_confused"] = new JsonArray([.. MostConfused(topConfused).Select(c =>
            (JsonNode)new JsonObject { ["gold"] = c.Gold, ["predicted"] = c.Predicted, ["count"] = c.Count })]);
        if (Scheme == TagScheme.None) return json;
        json["scheme"] = Scheme.ToString().ToUpperInvariant();
        json["span_precision"] = SpanPrecision();
        json["span_recall"] = SpanRecall();
        json["span_f1"] = SpanF1();
        var types = new JsonObject();
        foreach (var type in SpanTypes)
        {
            var (correct, found, gold) = SpanCounts(type);
            types[type] = new JsonObject
            {
                ["precision"] = SpanPrecision(type), ["recall"] = SpanRecall(type), ["f1"] = SpanF1(type),
                ["correct"] = correct, ["found"] = found, ["gold"] = gold,
            };
        }
        json["per_type"] = types;
        return json;
    }

    /// <summary>One line for a log: accuracy, unseen-word accuracy, span F1 and the three most confused pairs.</summary>
    public string Summary()
    {
        var parts = new List<string> { $"accuracy {Accuracy:P2} of {Count} words" };
        if (trainingWords != null) parts.Add(UnseenCount == 0 ? "no unseen words" : $"unseen words {UnseenAccuracy:P2} of {UnseenCount}");
        if (Scheme != TagScheme.None) parts.Add($"span F1 {SpanF1():F4} (P {SpanPrecision():F4}, R {SpanRecall():F4})");
        var confused = MostConfused(3);
        if (confused.Count > 0) parts.Add("most confused " + string.Join(", ", confused.Select(c => $"{c.Gold}→{c.Predicted} {c.Count}")));
        return string.Join("; ", parts);
    }

    static JsonNode? Number(double value) => double.IsNaN(value) ? null : JsonValue.Create(value);
}
