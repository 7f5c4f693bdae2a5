using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Text;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// config.json of a text classifier folder, in the Hugging Face manner (<c>architectures</c>, <c>id2label</c>,
/// <c>label2id</c>, snake_case fields): the encoder's shape, the labels, and how texts are encoded. The folder also
/// holds model.safetensors (PyTorch names), the tokenizer files (tokenizer_config.json, vocab.json, merges.txt) and
/// results.json.
/// </summary>
public static class ClassifierFolder
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", ResultsFile = "results.json";

    public static void WriteConfig(string dir, EncoderConfig encoder, IReadOnlyList<string> labels, int maxLength, Truncation truncation)
    {
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Count; i++)
        {
            id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("EncoderClassifier"),
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
            ["pooling"] = encoder.Pooling.ToString().ToLowerInvariant(),
            ["max_length"] = maxLength,
            ["truncation"] = truncation.ToString().ToLowerInvariant(),
            ["id2label"] = id2label,
            ["label2id"] = label2id,
        };
        File.WriteAllText(Path.Combine(dir, ConfigFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <exception cref="DataFormatException">the file is missing a field or holds a value of the wrong kind.</exception>
    public static (EncoderConfig Encoder, string[] Labels, int MaxLength, Truncation Truncation) ReadConfig(string dir)
    {
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) throw new DataFormatException(path, null, "no config.json: not a text classifier folder");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new DataFormatException(path, null, "config.json is null");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new DataFormatException(path, null, $"not a JSON object: {e.Message}", e);
        }
        T Get<T>(string key)
        {
            try
            {
                return json[key] is JsonNode node ? node.GetValue<T>() : throw new DataFormatException(path, null, $"field '{key}' is missing");
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException and not DataFormatException)
            {
                throw new DataFormatException(path, null, $"field '{key}' is not a {typeof(T).Name}", e);
            }
        }
        TEnum Enum<TEnum>(string key) where TEnum : struct, Enum =>
            System.Enum.TryParse<TEnum>(Get<string>(key), ignoreCase: true, out var v) ? v
                : throw new DataFormatException(path, null, $"field '{key}': '{Get<string>(key)}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>()).ToLowerInvariant()}");
        var encoder = new EncoderConfig(Get<int>("vocab_size"))
        {
            DModel = Get<int>("d_model"), NumHeads = Get<int>("num_heads"), NumLayers = Get<int>("num_layers"),
            DimFeedforward = Get<int>("dim_feedforward"), Dropout = Get<double>("dropout"), MaxLen = Get<int>("max_len"),
            Positions = Enum<PositionEncoding>("positions"), Activation = Enum<Activation>("activation"),
            NormFirst = Get<bool>("norm_first"), LayerNormEps = Get<double>("layer_norm_eps"),
            PadId = json["pad_id"]?.GetValue<int>(), ScaleEmbeddings = Get<bool>("scale_embeddings"), Pooling = Enum<Pooling>("pooling"),
        };
        var id2label = json["id2label"] as JsonObject ?? throw new DataFormatException(path, null, "field 'id2label' is missing");
        var labels = new string[id2label.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]?.GetValue<string>()
                ?? throw new DataFormatException(path, null, $"id2label has no class {i} (ids must be 0 … {labels.Length - 1})");
        return (encoder, labels, Get<int>("max_length"), Enum<Truncation>("truncation"));
    }
}
