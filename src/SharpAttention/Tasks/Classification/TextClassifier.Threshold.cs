using System.Text.Json.Nodes;
using SharpAttention.Data;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Classification;

// The decision threshold of a two-class classifier: the options' checks, TunedThresholdClassifierCV's holdout with
// refit, and the best-F1 cut on held-out texts (Training/DecisionThreshold).
public sealed partial class TextClassifier
{
    static void CheckThresholdOptions(TextClassifierOptions options, string[] labels)
    {
        if (options.DecisionThreshold is double t && !(t > 0 && t < 1))
            throw new ArgumentException($"decision threshold {t} must be a probability strictly between 0 and 1");
        if ((options.TuneThreshold || options.DecisionThreshold != null) && labels.Length != 2)
            throw new ArgumentException($"a decision threshold needs two classes; the training data has {labels.Length} ({string.Join(", ", labels)})");
        if (options.TuneThreshold && options.DecisionThreshold != null)
            throw new ArgumentException("give a decision threshold or ask for one to be tuned, not both");
        if (!(options.ThresholdHoldout > 0 && options.ThresholdHoldout < 1))
            throw new ArgumentException($"threshold holdout {options.ThresholdHoldout} must be a share strictly between 0 and 1");
    }

    /// <summary>TunedThresholdClassifierCV's single split with refit: a model trained (same options, all epochs, last
    /// weights) on the training texts less a stratified holdout chooses the threshold on it; the caller then trains on
    /// everything. Returns the threshold and what it did on the holdout, for results.json.</summary>
    static (double Threshold, JsonObject Report) TuneOnHoldout(TextClassifierOptions options, Action<string> log)
    {
        var train = options.Data.Train;
        var parts = Splits.StratifiedSplit(train, e => e.Label, [1 - options.ThresholdHoldout, options.ThresholdHoldout], options.Seed);
        string probeDir = Path.Combine(options.OutputDir, ThresholdRunFolder);
        log($"decision threshold: a first model trains on {parts[0].Length} texts and scores the {parts[1].Length} held out; then all {train.Count} train the classifier");
        var probe = Train(options with
        {
            Data = new ClassificationSplit(parts[0], parts[1], []), OutputDir = probeDir, TuneThreshold = true, SelectBestEpoch = false,
            Resume = false, StepCompleted = null, Evaluated = null, Log = line => log($"  {line}"),
        });
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(probeDir, ClassifierFolder.ResultsFile)))!.AsObject();
        var report = new JsonObject
        {
            ["from"] = "holdout", ["count"] = parts[1].Length, ["holdout"] = results["valid"]?.DeepClone(),
            ["holdout_argmax"] = results["valid_argmax"]?.DeepClone(), ["train_seconds"] = results["train_seconds"]?.DeepClone(),
        };
        Directory.Delete(probeDir, recursive: true);
        return (probe.Threshold!.Value, report);
    }

    /// <summary>The threshold with the best F1 of <c>Labels[1]</c> on the texts <paramref name="argmax"/> scored
    /// (<see cref="ClassificationMetrics.BestF1Threshold"/>), as a probability.</summary>
    static double ChooseThreshold(ClassificationMetrics argmax)
    {
        // Kept inside float's range of margins, so that the probability written to config.json reads back as the same cut.
        double margin = Math.Clamp(argmax.BestF1Threshold(), -30, 30);
        return DecisionThreshold.ToProbability(margin);
    }
}
