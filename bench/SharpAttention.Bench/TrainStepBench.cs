using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `train_step`: one AdamW step (forward, cross-entropy, backward, update) of the reference decoder-only model of
/// BENCHMARKS.md on a (32, 128) batch, in tokens per second, beside the same model in torch.nn (torch_train.py);
/// and `train_step_alloc`, the managed bytes a step allocates after warm-up with the step in a TensorScope, as the
/// Trainer runs it; then `train_step_avx2`, the step again with AVX-512 switched off (<see cref="Avx2Rerun"/>), beside
/// torch's figure of this run.
/// </summary>
internal static class TrainStepBench
{
    const int Vocab = 8000, T = 128, B = 32;

    /// <summary>d_model 256, 4 heads, d_ff 1024, 4 layers, pre-LN, GELU, learned positions, tied head, dropout 0.1.</summary>
    internal static readonly CausalLMConfig Reference = new(Vocab)
    {
        DModel = 256, NumHeads = 4, NumLayers = 4, DimFeedforward = 1024, MaxLen = T, Dropout = 0.1,
        Positions = PositionEncoding.Learned, Activation = Activation.Gelu, Norm = NormKind.LayerNorm, Bias = true, TieWeights = true,
    };

    public static void Run(RunPlan plan)
    {
        var step = NewStep();
        double ours = MeasureOurs(plan, step);
        Report.Figure("train_step", ours, "tok/s");

        int runs = plan.IsQuick ? 2 : 5;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < runs; i++) step();
        Report.Figure("train_step_alloc", (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / runs, "B", decimals: 0);

        double? torch = TorchAnchor.ReportBeside("train", plan, "train_step", ours, "tok/s");
        Avx2Rerun.ReportBeside(Avx2Rerun.Run(plan, "train"), "train_step", "tok/s", torch);
    }

    /// <summary>Tokens per second of <paramref name="step"/> (a fresh model's when null) in the best timed run.</summary>
    public static double MeasureOurs(RunPlan plan, Action? step = null)
    {
        var quick = plan with { Runs = Math.Min(plan.Runs, 2), MinRunSeconds = 0 };
        return B * T / Timing.BestSeconds(step ?? NewStep(), plan.IsQuick ? quick : plan);
    }

    /// <summary>One training step of a fresh reference model on a fixed random batch, in a TensorScope as the Trainer
    /// runs it.</summary>
    static Action NewStep()
    {
        var model = new CausalLanguageModel(Reference, new Generator(1));
        model.Train();
        var optimizer = new AdamW(model.Parameters(), lr: 3e-4, weightDecay: 0.01);
        var data = new Generator(2);
        var ids = Tensor.RandInt(0, Vocab, [B, T], data);
        var targets = Tensor.RandInt(0, Vocab, [B, T], data);
        return () =>
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var loss = model.Loss(ids, targets);
            loss.Backward();
            optimizer.Step();
            if (!float.IsFinite(loss.Item())) throw new InvalidOperationException("train_step: the loss is not finite");
        };
    }
}
