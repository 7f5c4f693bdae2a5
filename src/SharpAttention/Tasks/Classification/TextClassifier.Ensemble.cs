using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Tensors;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Classification;

// A cross-fitted soft-voting ensemble (scikit-learn's VotingClassifier(voting="soft") over the k models of a
// cross_val_predict): k stratified folds, member i trained on the other k − 1, each member's out-of-fold
// probabilities choosing the decision threshold; the ensemble predicts the mean of its members' probabilities.
public sealed partial class TextClassifier
{
    /// <summary>The field of an ensemble's config.json listing its member folders.</summary>
    public const string MembersField = "members";

    TextClassifier[] members = [];

    /// <summary>An ensemble's members (each a complete classifier in its own member-i/ folder, without a threshold);
    /// empty for a single model. For an ensemble, <see cref="Model"/> and <see cref="Tokenizer"/> are the first
    /// member's (what <see cref="ExplainWithSelfAttention"/> shows), while Predict, Evaluate and Explain use all.</summary>
    public IReadOnlyList<TextClassifier> Members => members;

    TextClassifier(TextClassifier[] members, IReadOnlyList<string> labels, double? threshold)
        : this(members[0].Model, members[0].Tokenizer, members[0].specials, labels, members[0].encoding.MaxLength!.Value, members[0].encoding.Truncation, threshold) =>
        this.members = members;

    /// <summary>Member <paramref name="i"/>'s folder inside an ensemble's folder.</summary>
    public static string MemberFolder(int i) => $"member-{i}";

    /// <summary>The checkpoint a resumed run of <paramref name="ensembleFolds"/> members (1: one model) continues from
    /// first: the model's, or the first member's.</summary>
    public static string LastCheckpoint(string dir, int ensembleFolds) =>
        ensembleFolds > 1 ? Path.Combine(dir, MemberFolder(0), CheckpointFolder, "last.safetensors") : Path.Combine(dir, CheckpointFolder, "last.safetensors");

    /// <summary>Logits of a batch of texts, (B, C): the model's, or for an ensemble the log of the mean of the members'
    /// probabilities (whose softmax is that mean, so the metrics' ROC-AUC and decisions are the averaged model's).</summary>
    Tensor Logits(string[] texts)
    {
        if (members.Length == 0)
        {
            var batch = Encode(texts);
            return Model.Forward(batch.InputIds, batch.KeyPaddingMask);
        }
        var mean = new double[texts.Length * Labels.Count];   // (B, C)
        foreach (var member in members)
        {
            var p = member.Probabilities(texts);
            for (int i = 0; i < mean.Length; i++) mean[i] += p[i] / members.Length;
        }
        return Tensor.FromArray([.. mean.Select(p => Math.Log(Math.Max(p, 1e-300)))], texts.Length, Labels.Count);
    }

    /// <summary>Each text's class probabilities in label order, (B, C), as <see cref="Predict"/> reports them.</summary>
    double[] Probabilities(string[] texts)
    {
        var probabilities = new double[texts.Length * Labels.Count];
        for (int at = 0; at < texts.Length; at += PredictBatch)
        {
            using var scope = TensorScope.Begin();
            var chunk = texts.Skip(at).Take(PredictBatch).ToArray();
            var logits = Logits(chunk).To(DType.Float64).ToDoubleArray();
            for (int b = 0; b < chunk.Length; b++)
            {
                var p = Prediction(logits.AsSpan(b * Labels.Count, Labels.Count)).Probabilities;
                for (int c = 0; c < Labels.Count; c++) probabilities[(at + b) * Labels.Count + c] = p[Labels[c]];
            }
        }
        return probabilities;
    }

    /// <summary>k stratified folds of the training texts (as indices into <paramref name="train"/>, seeded): disjoint,
    /// together all of them, each class spread over the folds as evenly as its count allows.</summary>
    internal static int[][] CrossFitFolds(IReadOnlyList<LabeledText> train, int k, ulong seed) =>
        Splits.StratifiedSplit([.. Enumerable.Range(0, train.Count)], i => train[i].Label, [.. Enumerable.Repeat(1.0 / k, k)], seed);

    static void CheckEnsembleOptions(TextClassifierOptions options, string[] labels)
    {
        int k = options.EnsembleFolds, smallest = ClassificationData.Counts(options.Data.Train, labels).Min();
        if (k < 2) throw new ArgumentException($"ensemble folds = {k}: give 1 (one model) or 2 or more members");
        if (k > smallest)
            throw new ArgumentException($"ensemble folds = {k} exceeds the {smallest} training texts of the smallest class ('{labels[ClassificationData.Counts(options.Data.Train, labels).ToList().IndexOf(smallest)]}'): every fold needs one of each class");
    }

    /// <summary><see cref="Train"/> with <see cref="TextClassifierOptions.EnsembleFolds"/> members.</summary>
    static TextClassifier TrainEnsemble(TextClassifierOptions options, string[] labels, Action<string> log)
    {
        CheckEnsembleOptions(options, labels);
        var clock = Stopwatch.StartNew();
        var (data, dir, k) = (options.Data, options.OutputDir, options.EnsembleFolds);
        var folds = CrossFitFolds(data.Train, k, options.Seed);
        var members = new TextClassifier[k];
        var outOfFold = new double[data.Train.Count * labels.Length];   // (N, C): each text scored by the member that never saw it
        var reports = new JsonArray();
        long steps = 0;
        for (int i = 0; i < k; i++)
        {
            int m = i;
            string memberDir = Path.Combine(dir, MemberFolder(i));
            var heldOut = folds[i].ToHashSet();
            var part = Enumerable.Range(0, data.Train.Count).Where(j => !heldOut.Contains(j)).Select(j => data.Train[j]).ToArray();
            // Resuming, each member continues from its own last checkpoint (a finished one just reloads its weights).
            bool resume = options.Resume && File.Exists(LastCheckpoint(memberDir, 1));
            log($"member {i + 1}/{k}: {(resume ? "resumes" : "trains")} on {part.Length} texts, then scores the {folds[i].Length} held out");
            members[i] = Train(options with
            {
                Data = new ClassificationSplit(part, [], []), OutputDir = memberDir, EnsembleFolds = 1, TuneThreshold = false, DecisionThreshold = null,
                Seed = unchecked(options.Seed + (ulong)i), Log = line => log($"member {m + 1}/{k}: {line}"), Resume = resume,
            });
            steps += members[i].Training!.Steps;
            var p = members[i].Probabilities([.. folds[i].Select(j => data.Train[j].Text)]);
            for (int r = 0; r < folds[i].Length; r++) p.AsSpan(r * labels.Length, labels.Length).CopyTo(outOfFold.AsSpan(folds[i][r] * labels.Length));
            reports.Add(new JsonObject { ["folder"] = MemberFolder(i), ["train_count"] = part.Length, ["held_out"] = folds[i].Length, ["steps"] = members[i].Training!.Steps });
        }
        var ensemble = new TextClassifier(members, labels, null) { Training = new TrainingResult(steps, options.Epochs, null, null, false, []) };
        var oof = ProbabilityMetrics(outOfFold, data.Train, labels);

        // The threshold: on the validation part when there is one, else on the out-of-fold probabilities.
        var argmaxScores = new[] { (data.Valid, "valid"), (data.Test, "test") }.Where(p => p.Item1.Count > 0)
            .ToDictionary(p => p.Item2, p => ensemble.Score(p.Item1));
        double? threshold = options.DecisionThreshold;
        JsonObject? tuning = null;
        if (options.TuneThreshold)
        {
            var (from, on) = data.Valid.Count > 0 ? ("valid", argmaxScores["valid"]) : ("out_of_fold", oof);
            threshold = ChooseThreshold(on);
            tuning = new JsonObject { ["from"] = from, ["count"] = on.Count };
            log($"decision threshold {threshold:G4} for {labels[1]}, chosen on the {on.Count} {(from == "valid" ? "validation texts" : "out-of-fold probabilities")}");
        }
        ensemble.Threshold = threshold;
        WriteEnsembleConfig(dir, labels, k, threshold);

        var results = new JsonObject
        {
            ["train_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1), ["steps"] = steps, ["train_count"] = data.Train.Count,
            ["threads"] = Threads.Count, ["ensemble_folds"] = k, [MembersField] = reports,
        };
        if (threshold is double chosen) results["decision_threshold"] = chosen;
        if (tuning != null) results["threshold_tuning"] = tuning;
        var scores = new Dictionary<string, ClassificationMetrics>();
        foreach (var (name, argmax) in argmaxScores.Prepend(new("out_of_fold", oof)))
        {
            var metrics = threshold != null ? argmax.Decided(ensemble.Margin) : argmax;
            results[name] = metrics.ToJson(labels);
            if (threshold != null) results[name + "_argmax"] = argmax.ToJson(labels);
            log($"{name.Replace('_', '-')}: accuracy {metrics.Accuracy.ToString("P2", CultureInfo.InvariantCulture)}, macro F1 {metrics.MacroF1:F4}");
            if (name != "out_of_fold") scores[name] = metrics;
        }
        AtomicFile.WriteAllText(Path.Combine(dir, ClassifierFolder.ResultsFile), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        ensemble.Scores = scores;
        return ensemble;
    }

    /// <summary>Arg-max metrics of probabilities (N, C) against the texts' labels; the log probabilities stand in for
    /// logits, so the margins kept for thresholds and ROC-AUC are log(p₁ / p₀).</summary>
    static ClassificationMetrics ProbabilityMetrics(double[] probabilities, IReadOnlyList<LabeledText> texts, string[] labels)
    {
        var index = ClassificationData.Index(labels);
        var metrics = new ClassificationMetrics(labels.Length);
        metrics.UpdateFromLogits(Tensor.FromArray([.. probabilities.Select(p => Math.Log(Math.Max(p, 1e-300)))], texts.Count, labels.Length),
            Tensor.FromArray([.. texts.Select(e => (long)index[e.Label])], texts.Count));
        return metrics;
    }

    /// <summary>An ensemble's config.json: its labels, its member folders and its decision threshold.</summary>
    static void WriteEnsembleConfig(string dir, string[] labels, int k, double? threshold)
    {
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Length; i++) (id2label[i.ToString(CultureInfo.InvariantCulture)], label2id[labels[i]]) = (labels[i], i);
        ModelConfigJson.Write(Path.Combine(dir, ClassifierFolder.ConfigFile), new JsonObject
        {
            ["architectures"] = new JsonArray("EncoderClassifierEnsemble"), ["voting"] = "soft",
            [MembersField] = new JsonArray([.. Enumerable.Range(0, k).Select(i => (JsonNode)MemberFolder(i))]),
            ["id2label"] = id2label, ["label2id"] = label2id, ["decision_threshold"] = threshold,
        });
    }

    /// <summary>The member folders an ensemble's config.json lists; null for a single model's (or a damaged file,
    /// which the single model's reader then names).</summary>
    static string[]? MemberFolders(string dir)
    {
        var path = Path.Combine(dir, ClassifierFolder.ConfigFile);
        try
        {
            if (!File.Exists(path) || JsonNode.Parse(File.ReadAllText(path)) is not JsonObject config || config[MembersField] is not JsonArray folders) return null;
            var names = folders.Select(n => n is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0 ? s : null).ToArray();
            if (names.Length == 0 || names.Any(n => n is null))
                throw new DataFormatException(path, null, $"field '{MembersField}' must list one or more member folder names");
            return names!;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static bool IsEnsemble(string dir) => MemberFolders(dir) != null;

    /// <summary>Reads an ensemble folder: each member loads as its own classifier, and must have the ensemble's labels.</summary>
    static TextClassifier LoadEnsemble(string dir)
    {
        var config = ModelConfigJson.Read(Path.Combine(dir, ClassifierFolder.ConfigFile), "text classifier");
        var labels = config.Labels();
        var folders = MemberFolders(dir)!;
        var members = folders.Select(f => Load(Path.Combine(dir, f))).ToArray();
        foreach (var (member, folder) in members.Zip(folders))
            if (!member.Labels.SequenceEqual(labels))
                throw new DataFormatException(config.Path, null, $"member {folder} has labels {string.Join(", ", member.Labels)}, the ensemble {string.Join(", ", labels)}");
        return new TextClassifier(members, labels, ClassifierFolder.ReadThreshold(config, labels.Length));
    }
}
