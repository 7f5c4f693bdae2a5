using System.Runtime.InteropServices;
using SharpAttention.Tensors;

namespace SharpAttention.Training;

/// <summary>
/// Streaming classification metrics over any number of batches: accuracy and per-class / macro / micro precision,
/// recall and F1 from a confusion matrix (rows = target class, columns = predicted class). Targets equal to
/// <c>ignoreIndex</c> (padding) are not counted, as in cross_entropy. Also serves token accuracy for tagging and
/// sequence models (predictions and targets of any matching shape). With two classes, logits also feed ROC-AUC.
/// Reports: <see cref="ToJson"/> and <see cref="ConfusionTable"/>.
/// </summary>
public sealed partial class ClassificationMetrics(int numClasses, long ignoreIndex = -100)
{
    readonly long[,] confusion = new long[
        numClasses > 0 ? numClasses : throw new ArgumentOutOfRangeException(nameof(numClasses), $"metrics: need at least one class, got {numClasses}"),
        numClasses];

    // Two-class runs keep each example's score logit₁ − logit₀ (monotone in p(class 1), but without softmax's
    // saturation to ties) and whether it was class 1, for ROC-AUC.
    readonly List<double> scores = [];
    readonly List<bool> positives = [];

    public int NumClasses { get; } = numClasses;

    /// <summary>Counted examples (or tokens).</summary>
    public long Count { get; private set; }

    /// <summary>Adds a batch of logits (..., C) against int64 targets (...). The prediction is the arg-max or, with
    /// two classes and a <paramref name="threshold"/> (a margin: <see cref="DecisionThreshold"/>), class 1 when
    /// logit₁ − logit₀ is at least the threshold.</summary>
    public void UpdateFromLogits(Tensor logits, Tensor targets, double? threshold = null)
    {
        if (logits.Dim < 1 || logits.Shape[^1] != NumClasses)
            throw new ArgumentException($"metrics: logits of shape {ShapeUtil.Format(logits.Shape)} do not end in the {NumClasses} classes");
        if (threshold != null && NumClasses != 2) throw new ArgumentException($"metrics: a decision threshold needs two classes, not {NumClasses}");
        var detached = logits.Detach();
        if (NumClasses != 2)
        {
            Update(detached.ArgMax(-1), targets);
            return;
        }
        var values = detached.To(DType.Float64).Contiguous().ToDoubleArray();
        var t = targets.ToInt64Array();
        if (t.Length * 2 != values.Length) throw new ArgumentException($"metrics: {values.Length / 2} rows of logits for {t.Length} targets");
        var predicted = new long[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            double margin = values[2 * i + 1] - values[2 * i];
            predicted[i] = Decide(margin, threshold);
            if (t[i] == ignoreIndex) continue;
            scores.Add(margin);
            positives.Add(t[i] == 1);
        }
        Update(predicted, t);
    }

    /// <summary>Two classes, every example given as logits: the same examples decided at another margin threshold
    /// (null: the arg-max) from the scores kept, so what a threshold changes needs no second pass over the model.</summary>
    public ClassificationMetrics Decided(double? threshold)
    {
        if (NumClasses != 2 || scores.Count != Count)
            throw new InvalidOperationException("metrics: deciding again needs two classes with every example given as logits");
        var again = new ClassificationMetrics(2, ignoreIndex);
        again.scores.AddRange(scores);
        again.positives.AddRange(positives);
        again.Update([.. scores.Select(margin => Decide(margin, threshold))], [.. positives.Select(p => p ? 1L : 0L)]);
        return again;
    }

    /// <summary>Two classes: the margin threshold with the best F1 of class 1 on the scores kept
    /// (<see cref="DecisionThreshold.MaximizeF1"/>).</summary>
    public double BestF1Threshold() =>
        NumClasses == 2 ? DecisionThreshold.MaximizeF1(CollectionsMarshal.AsSpan(scores), CollectionsMarshal.AsSpan(positives))
            : throw new InvalidOperationException($"metrics: a decision threshold needs two classes, not {NumClasses}");

    /// <summary>Class 1 when the margin logit₁ − logit₀ reaches the threshold; without one the arg-max, which takes the
    /// first class on a tie.</summary>
    static long Decide(double margin, double? threshold) => threshold is double cut ? (margin >= cut ? 1 : 0) : (margin > 0 ? 1 : 0);

    /// <summary>Adds a batch of predicted classes against targets of the same shape (int64).</summary>
    public void Update(Tensor predictions, Tensor targets)
    {
        if (!ShapeUtil.SameShape(predictions.Shape, targets.Shape))
            throw new ArgumentException($"metrics: predictions {ShapeUtil.Format(predictions.Shape)} and targets {ShapeUtil.Format(targets.Shape)} differ in shape");
        Update(predictions.ToInt64Array(), targets.ToInt64Array());
    }

    /// <summary>Adds predicted classes against targets.</summary>
    public void Update(ReadOnlySpan<long> predictions, ReadOnlySpan<long> targets)
    {
        if (predictions.Length != targets.Length)
            throw new ArgumentException($"metrics: {predictions.Length} predictions for {targets.Length} targets");
        for (int i = 0; i < targets.Length; i++)
        {
            long t = targets[i], p = predictions[i];
            if (t == ignoreIndex) continue;
            if ((ulong)t >= (ulong)NumClasses) throw new ArgumentException($"metrics: target {t} at position {i} is not a class in [0, {NumClasses})");
            if ((ulong)p >= (ulong)NumClasses) throw new ArgumentException($"metrics: prediction {p} at position {i} is not a class in [0, {NumClasses})");
            confusion[t, p]++;
            Count++;
        }
    }

    public long Confusion(int target, int predicted) => confusion[target, predicted];

    /// <summary>Examples whose target is class <paramref name="c"/> (sklearn's support).</summary>
    public long Support(int c) => Row(c);

    /// <summary>Correct / counted (0 when nothing was counted).</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (int c = 0; c < NumClasses; c++) correct += confusion[c, c];
            return Count == 0 ? 0 : (double)correct / Count;
        }
    }

    /// <summary>TP / (TP + FP) for one class; 0 when the class was never predicted (scikit-learn's zero_division=0).</summary>
    public double Precision(int c) => Ratio(confusion[c, c], Column(c));

    /// <summary>TP / (TP + FN) for one class; 0 when the class never occurs.</summary>
    public double Recall(int c) => Ratio(confusion[c, c], Row(c));

    public double F1(int c)
    {
        double p = Precision(c), r = Recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /// <summary>Unweighted mean of the per-class F1 over classes that occur or are predicted.</summary>
    public double MacroF1 => MacroMean(F1);

    /// <summary>F1 of the pooled counts; equals accuracy for single-label classification.</summary>
    public double MicroF1 => Accuracy;

    /// <summary>Unweighted mean of the per-class precision over classes that occur or are predicted.</summary>
    public double MacroPrecision => MacroMean(Precision);

    /// <summary>Unweighted mean of the per-class recall over classes that occur or are predicted.</summary>
    public double MacroRecall => MacroMean(Recall);

    /// <summary>ROC-AUC of class 1 against class 0 from the logits given to <see cref="UpdateFromLogits"/>; null
    /// unless there are two classes and both occur among those targets.</summary>
    public double? RocAuc
    {
        get
        {
            if (NumClasses != 2 || !positives.Contains(true) || !positives.Contains(false)) return null;
            return Training.RocAuc.Binary(CollectionsMarshal.AsSpan(scores), CollectionsMarshal.AsSpan(positives));
        }
    }

    public void Reset()
    {
        Array.Clear(confusion);
        Count = 0;
        scores.Clear();
        positives.Clear();
    }

    double MacroMean(Func<int, double> metric)
    {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < NumClasses; c++)
            if (Row(c) + Column(c) > 0)
            {
                sum += metric(c);
                n++;
            }
        return n == 0 ? 0 : sum / n;
    }

    long Row(int c)
    {
        long s = 0;
        for (int j = 0; j < NumClasses; j++) s += confusion[c, j];
        return s;
    }

    long Column(int c)
    {
        long s = 0;
        for (int i = 0; i < NumClasses; i++) s += confusion[i, c];
        return s;
    }

    static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;
}
