using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Text;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// What <see cref="TextClassifier.Train"/> does: the data, the model folder to write, the tokenizer (a byte-level BPE
/// trained on the training texts), the encoder and how it is trained. Defaults suit a small data set on a CPU.
/// </summary>
public sealed record TextClassifierOptions(ClassificationSplit Data, string OutputDir)
{
    /// <summary>The encoder for a vocabulary size; vocabulary, padding id, maximum length and pooling are set from
    /// the options below whatever it says. Default: 2 layers of 64 (<see cref="EncoderConfig.Tiny"/>).</summary>
    public Func<int, EncoderConfig> Encoder { get; init; } = EncoderConfig.Tiny;

    /// <summary>Attention pooling by default: its weights show which tokens the decision rests on.</summary>
    public Pooling Pooling { get; init; } = Pooling.Attention;

    /// <summary>BPE vocabulary size (special tokens and the 256 byte symbols included).</summary>
    public int VocabSize { get; init; } = 4000;

    /// <summary>Most tokens per text, [CLS] and [SEP] included; longer texts are cut by <see cref="Truncation"/>.</summary>
    public int MaxLength { get; init; } = 256;

    /// <summary>Head+tail keeps a text's start and end (Sun et al. 2019: best for long documents).</summary>
    public Truncation Truncation { get; init; } = Truncation.HeadAndTail;

    /// <summary>Random-window augmentation (<see cref="Data.RandomCrop"/>): each epoch, each training text is replaced
    /// with this probability by a random contiguous window of its full tokenisation (before truncation), at least
    /// <see cref="RandomCropMinTokens"/> long and at most <see cref="MaxLength"/>; validation, test and threshold-holdout
    /// texts never are. 0 (the default): off, the batches of a run without it.</summary>
    public double RandomCrop { get; init; }

    /// <summary>Fewest tokens (besides [CLS] and [SEP]) a <see cref="RandomCrop"/> window keeps; shorter texts stay whole.</summary>
    public int RandomCropMinTokens { get; init; } = 32;

    public int Epochs { get; init; } = 10;

    /// <summary>Stop after this many optimizer steps even mid-epoch (null: run all epochs); the learning-rate schedule
    /// still spans all epochs, so a stopped run resumed with a higher limit continues it exactly.</summary>
    public long? MaxSteps { get; init; }

    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate of AdamW, reached after <see cref="WarmupSteps"/>, then cosine decay to 2 % of it.</summary>
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; }
    /// <summary>AdamW's decoupled weight decay, on matrices and embeddings only (biases, norm gains and the pooling
    /// query take none: <see cref="Optim.ParamGroup.DecayMatricesOnly"/>).</summary>
    public double WeightDecay { get; init; } = 0.01;
    public double? ClipGradNorm { get; init; } = 1.0;
    public double LabelSmoothing { get; init; }

    /// <summary>Keep an exponential moving average of the weights with this decay, updated after every step (Polyak
    /// averaging, torch's AveragedModel with an EMA; <see cref="Optim.ExponentialMovingAverage"/>), and end with the
    /// averaged weights: the best validation epoch's average, or the last one's. Null: the trained weights.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Steps between checkpoints/last.safetensors saves (null: at epoch ends only).</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Hears every optimizer step and the run's total steps (progress lines).</summary>
    public Action<Training.StepEvent, long>? StepCompleted { get; init; }

    /// <summary>Hears each epoch's validation scores (valid_accuracy, valid_macro_f1).</summary>
    public Action<Training.EvaluationEvent>? Evaluated { get; init; }

    /// <summary>Weight each class's loss by sklearn's "balanced" weights (<see cref="ClassWeights.Balanced"/>).</summary>
    public bool BalanceClasses { get; init; }

    /// <summary>With validation data: stop after this many epochs without a better validation macro F1 (null: never).
    /// The weights of the best epoch are the ones kept either way.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Two classes: predict <c>Labels[1]</c> (the second label in ordinal order, scikit-learn's positive class)
    /// when its probability reaches this, instead of the most probable label; stored in config.json as
    /// decision_threshold. Null: the arg-max, unless <see cref="TuneThreshold"/>.</summary>
    public double? DecisionThreshold { get; init; }

    /// <summary>Two classes: choose the decision threshold that maximises the F1 of <c>Labels[1]</c> on held-out
    /// texts, as scikit-learn's TunedThresholdClassifierCV (<see cref="Training.DecisionThreshold"/>). With a
    /// validation part, on the trained model's scores there; without one, a stratified <see cref="ThresholdHoldout"/>
    /// share of the training texts is held out, a first model trained on the rest (same options, last epoch) scores it,
    /// and the classifier is then trained on all the training texts and given the threshold found (refit).</summary>
    public bool TuneThreshold { get; init; }

    /// <summary>Share of the training texts <see cref="TuneThreshold"/> holds out when there is no validation part.</summary>
    public double ThresholdHoldout { get; init; } = 0.2;

    /// <summary>With validation data: keep the epoch with the best validation macro F1, scoring the validation part
    /// after every epoch. False: the last epoch's weights, and the validation part is scored once at the end.</summary>
    public bool SelectBestEpoch { get; init; } = true;

    /// <summary>Continue an interrupted run from OutputDir/checkpoints/last.safetensors with the tokenizer and
    /// config.json it saved (bit-exact: the same weights as a run never interrupted); the data and options must be
    /// those of the first run, except <see cref="MaxSteps"/> (a run stopped there continues).</summary>
    public bool Resume { get; init; }

    /// <summary>Epochs of masked-language-model pre-training of the encoder (embeddings and layers) on the training
    /// texts before it is fine-tuned (BERT's objective; <see cref="Models.MaskedLanguageModel"/>); 0: none. The
    /// tokenizer then has a mask token, &lt;mask&gt;. Labels are never used, and with <see cref="TuneThreshold"/>'s holdout
    /// the encoder is pre-trained once, on all the training texts, for both the first model and the refit.</summary>
    public int PretrainEpochs { get; init; }

    /// <summary>Share of the tokens each pre-training text has chosen for prediction (<see cref="MlmMasking"/>).</summary>
    public double MlmProbability { get; init; } = 0.15;

    /// <summary>Peak learning rate of pre-training (null: <see cref="LearningRate"/>); the warm-up, cosine decay,
    /// batch size, weight decay and clipping are fine-tuning's.</summary>
    public double? PretrainLearningRate { get; init; }

    /// <summary>Hears every pre-training step and the pre-training's total steps (progress lines).</summary>
    public Action<Training.StepEvent, long>? PretrainStepCompleted { get; init; }

    /// <summary>An encoder already pre-trained for these training texts (the holdout's first model takes the refit's).</summary>
    internal PretrainedEncoder? Pretrained { get; init; }

    /// <summary>More than 1: a soft-voting ensemble of this many members trained by k-fold cross-fitting
    /// (<see cref="TextClassifier.Members"/>): the training texts split into k stratified folds, member i trained on
    /// the other k − 1 (seed + i, no threshold of its own) and written to member-i/; each member scores its held-out
    /// fold, and these out-of-fold probabilities choose the threshold (<see cref="TuneThreshold"/>, in place of the
    /// holdout and refit) unless a validation part does. <see cref="MaxSteps"/> and <see cref="Resume"/> apply to each
    /// member. 1: one model. At most the smallest class's count.</summary>
    public int EnsembleFolds { get; init; } = 1;

    /// <summary>Seeds initialisation, dropout and the batch order.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Hears progress lines (tokenizer, epochs, results); null: silent.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>One text's predicted label and the probability of every class (in the classifier's label order).</summary>
public sealed record ClassPrediction(string Label, IReadOnlyDictionary<string, double> Probabilities);

/// <summary>
/// A text's tokens beside the prediction: each one's <c>Weight</c>, its share in the pooled vector (attention pooling:
/// the learned query's weights), and its <c>Evidence</c>, its part of the logit margin of the predicted label over
/// <see cref="Against"/> (the runner-up) by integrated gradients on the token embeddings
/// (<see cref="Models.EncoderClassifier.IntegratedGradients"/>): positive evidence is what the decision rests on,
/// negative evidence argued for the other class, and all of it sums to the margin over a text of positions only.
/// </summary>
public sealed record ClassExplanation(ClassPrediction Prediction, string? Against,
                                      IReadOnlyList<(string Token, int Start, int End, double Weight, double Evidence)> Tokens);
