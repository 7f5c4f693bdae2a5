using SharpAttention.Data.Datasets;
using SharpAttention.Training;

namespace SharpAttention.Tasks.G2p;

/// <summary>
/// What <see cref="G2pModel.Train"/> does: the dictionary's split (<see cref="G2pData.LoadSplit"/> reads cmudict's;
/// any words with pronunciations will do), the model folder to write, and the recipe — the network's shape and its
/// schedule (<see cref="G2pRecipe.Quick"/> is the README's main job, <see cref="G2pRecipe.Tiny"/> trains in seconds).
/// </summary>
public sealed record G2pOptions(PronunciationSplit Data, string OutputDir)
{
    public G2pRecipe Recipe { get; init; } = G2pRecipe.Quick;

    /// <summary>Continue the run in OutputDir from its last checkpoint (or the one before, or the best), with the
    /// vocabularies it saved. The recipe must be the run's (recipe.json), except its schedule: epochs and max_steps.</summary>
    public bool Resume { get; init; }

    /// <summary>Hears every optimizer step and the run's total steps (progress lines).</summary>
    public Action<StepEvent, long>? StepCompleted { get; init; }

    /// <summary>Hears the greedy dev WER and PER after each epoch (dev_wer, dev_per).</summary>
    public Action<EvaluationEvent>? Evaluated { get; init; }

    /// <summary>Hears progress lines and warnings (a stale file removed, a checkpoint not resumed from); null: silent.</summary>
    public Action<string>? Log { get; init; }
}
