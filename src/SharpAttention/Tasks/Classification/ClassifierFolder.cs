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
        var json = ModelConfigJson.Create("EncoderClassifier", encoder, labels);
        json["pooling"] = encoder.Pooling.ToString().ToLowerInvariant();
        json["max_length"] = maxLength;
        json["truncation"] = truncation.ToString().ToLowerInvariant();
        ModelConfigJson.Write(Path.Combine(dir, ConfigFile), json);
    }

    /// <exception cref="DataFormatException">the file is missing a field or holds a value of the wrong kind.</exception>
    public static (EncoderConfig Encoder, string[] Labels, int MaxLength, Truncation Truncation) ReadConfig(string dir)
    {
        var config = ModelConfigJson.Read(Path.Combine(dir, ConfigFile), "text classifier");
        var encoder = config.Encoder() with { Pooling = config.Enum<Pooling>("pooling") };
        return (encoder, config.Labels(), config.Get<int>("max_length"), config.Enum<Truncation>("truncation"));
    }
}
