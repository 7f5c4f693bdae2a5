using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `train_step`: one AdamW step (forward, cross-entropy, backward, update) of the reference decoder-only model of
/// BENCHMARKS.md on a (32, 128) batch, in tokens per second, beside the same model in torch.nn (torch_train.py);
/// and `train_step_alloc`, the managed bytes a step allocates after warm-up with the step in a TensorScope, as the
/// Trainer runs it.
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
        var model = new CausalLanguageModel(Reference, new Generator(1));
        model.Train();
        var optimizer = new AdamW(model.Parameters(), lr: 3e-4, weightDecay: 0.01);
        var data = new Generator(2);
        var ids = Tensor.RandInt(0, Vocab, [B, T], data);
        var targets = Tensor.RandInt(0, Vocab, [B, T], data);
        void Step()
        {
            using var scope = TensorScope.Begin();
            optimizer.ZeroGrad();
            var loss = model.Loss(ids, targets);
            loss.Backward();
            optimizer.Step();
            if (!float.IsFinite(loss.Item())) throw new InvalidOperationException("train_step: the loss is not finite");
        }

        var quick = plan with { Runs = Math.Min(plan.Runs, 2), MinRunSeconds = 0 };
        double seconds = Timing.BestSeconds(Step, plan.IsQuick ? quick : plan);
        double ours = B * T / seconds;
        Report.Figure("train_step", ours, "tok/s");

        int runs = plan.IsQuick ? 2 : 5;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < runs; i++) Step();
        Report.Figure("train_step_alloc", (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / runs, "B", decimals: 0);

        TorchAnchor.ReportBeside("train", plan, "train_step", ours, "tok/s");
    }
}
