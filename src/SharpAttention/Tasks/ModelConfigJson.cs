using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;

namespace SharpAttention.Tasks;

/// <summary>
/// A model folder's config.json (Hugging Face style, snake_case fields): the encoder fields every task writes, typed
/// reading of the task's own fields, and <c>id2label</c> / <c>label2id</c>. A missing or ill-typed field is a
/// <see cref="DataFormatException"/> naming the file.
/// </summary>
public sealed class ModelConfigJson
{
    readonly JsonObject json;

    public string Path { get; }

    ModelConfigJson(string path, JsonObject json) => (Path, this.json) = (path, json);

    /// <summary>The encoder's fields, <c>architectures</c>, <c>model_type</c>, then id2label / label2id of <paramref name="labels"/>.</summary>
    public static JsonObject Create(string architecture, EncoderConfig encoder, IReadOnlyList<string> labels)
    {
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Count; i++)
        {
            id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }
        return new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = "sharpattention-encoder",
            ["vocab_size"] = encoder.VocabSize,
            ["d_model"] = encoder.DModel,
            ["num_heads"] = encoder.NumHeads,
            ["num_layers"] = encoder.NumLayers,
            ["dim_feedforward"] = encoder.DimFeedforward,
            ["dropout"] = encoder.Dropout,
            ["max_len"] = encoder.MaxLen,
            ["positions"] = encoder.Positions.ToString().ToLowerInvariant(),
            ["activation"] = encoder.Activation.ToString().ToLowerInvariant(),
            ["norm_first"] = encoder.NormFirst,
            ["layer_norm_eps"] = encoder.LayerNormEps,
            ["pad_id"] = encoder.PadId,
            ["scale_embeddings"] = encoder.ScaleEmbeddings,
            ["id2label"] = id2label,
            ["label2id"] = label2id,
        };
    }

    public static void Write(string path, JsonObject config) =>
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <param name="path">the config.json</param>
    /// <param name="what">the folder kind, for the message when the file is missing ("text classifier")</param>
    public static ModelConfigJson Read(string path, string what)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, null, $"no config.json: not a {what} folder");
        try
        {
            return new ModelConfigJson(path, JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new DataFormatException(path, null, "config.json is null"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new DataFormatException(path, null, $"not a JSON object: {e.Message}", e);
        }
    }

    public T Get<T>(string key)
    {
        try
        {
            return json[key] is JsonNode node ? node.GetValue<T>() : throw new DataFormatException(Path, null, $"field '{key}' is missing");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException and not DataFormatException)
        {
            throw new DataFormatException(Path, null, $"field '{key}' is not a {typeof(T).Name}", e);
        }
    }

    /// <summary>The field's value, or null when it is absent or JSON null.</summary>
    public T? GetOptional<T>(string key) where T : struct => json[key] is null ? null : Get<T>(key);

    public TEnum Enum<TEnum>(string key) where TEnum : struct, Enum =>
        System.Enum.TryParse<TEnum>(Get<string>(key), ignoreCase: true, out var v) ? v
            : throw new DataFormatException(Path, null, $"field '{key}': '{Get<string>(key)}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>()).ToLowerInvariant()}");

    /// <summary>The encoder fields <see cref="Create"/> writes.</summary>
    public EncoderConfig Encoder() => new(Get<int>("vocab_size"))
    {
        DModel = Get<int>("d_model"), NumHeads = Get<int>("num_heads"), NumLayers = Get<int>("num_layers"),
        DimFeedforward = Get<int>("dim_feedforward"), Dropout = Get<double>("dropout"), MaxLen = Get<int>("max_len"),
        Positions = Enum<PositionEncoding>("positions"), Activation = Enum<Activation>("activation"),
        NormFirst = Get<bool>("norm_first"), LayerNormEps = Get<double>("layer_norm_eps"),
        PadId = json["pad_id"]?.GetValue<int>(), ScaleEmbeddings = Get<bool>("scale_embeddings"),
    };

    /// <summary>The labels in id order from <c>id2label</c>.</summary>
    public string[] Labels()
    {
        var id2label = json["id2label"] as JsonObject ?? throw new DataFormatException(Path, null, "field 'id2label' is missing");
        var labels = new string[id2label.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]?.GetValue<string>()
                ?? throw new DataFormatException(Path, null, $"id2label has no class {i} (ids must be 0 … {labels.Length - 1})");
        return labels;
    }
}
