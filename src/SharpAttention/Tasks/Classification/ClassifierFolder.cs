using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Text;
using SharpAttention.Training;

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

    /// <summary>Writes config.json; <paramref name="threshold"/> (two classes: the probability of class 1, id2label 1,
    /// from which it is predicted; null: the arg-max) goes in as <c>decision_threshold</c>.</summary>
    public static void WriteConfig(string dir, EncoderConfig encoder, IReadOnlyList<string> labels, int maxLength, Truncation truncation, double? threshold = null)
    {
        var json = ModelConfigJson.Create("EncoderClassifier", encoder, labels);
        json["pooling"] = encoder.Pooling.ToString().ToLowerInvariant();
        json["max_length"] = maxLength;
        json["truncation"] = truncation.ToString().ToLowerInvariant();
        json["decision_threshold"] = threshold;
        ModelConfigJson.Write(Path.Combine(dir, ConfigFile), json);
    }

    /// <exception cref="DataFormatException">the file is missing a field or holds a value of the wrong kind, or a
    /// decision threshold is not a probability strictly between 0 and 1 or is given for other than two classes.</exception>
    public static (EncoderConfig Encoder, string[] Labels, int MaxLength, Truncation Truncation, double? Threshold) ReadConfig(string dir)
    {
        var config = ModelConfigJson.Read(Path.Combine(dir, ConfigFile), "text classifier");
        var encoder = config.Encoder() with { Pooling = config.Enum<Pooling>("pooling") };
        var labels = config.Labels();
        return (encoder, labels, config.Get<int>("max_length"), config.Enum<Truncation>("truncation"), ReadThreshold(config, labels.Length));
    }

    /// <summary>The <c>decision_threshold</c> field; folders written before decision thresholds have none: the arg-max.</summary>
    public static double? ReadThreshold(ModelConfigJson config, int labelCount)
    {
        var threshold = config.GetOptional<double>("decision_threshold");
        if (threshold is double t && (labelCount != 2 || !(t > 0 && t < 1)))
            throw new DataFormatException(config.Path, null,
                $"field 'decision_threshold' = {t} needs two classes (there are {labelCount}) and a probability strictly between 0 and 1");
        return threshold;
    }

    /// <summary>The class a row of logits (in label order) gives: the arg-max (the first on a tie) or, with two classes
    /// and a <paramref name="threshold"/> (probability of class 1), class 1 when its probability reaches the threshold,
    /// compared as logit margins (<see cref="DecisionThreshold"/>) so that saturated probabilities still decide.</summary>
    public static int Decide(ReadOnlySpan<double> logits, double? threshold)
    {
        if (threshold is double t && logits.Length == 2) return logits[1] - logits[0] >= DecisionThreshold.ToMargin(t) ? 1 : 0;
        int best = 0;
        for (int c = 1; c < logits.Length; c++)
            if (logits[c] > logits[best]) best = c;
        return best;
    }
}
