using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `classify`: inference throughput of the spam recipe's classifier (attn train classify --recipe spam: BPE 4,000,
/// 2 pre-LN GELU layers of 128, 4 heads, feed-forward 256, learned positions, attention pooling, 2 classes) on
/// 256-token documents at batch 32, in documents per second, beside the same model in torch.nn (torch_classify.py).
/// </summary>
internal static class ClassifyBench
{
    /// <summary>The spam recipe's network (ClassifyRecipe.Spam in the CLI; keep the two in step).</summary>
    public static EncoderConfig Spam => new(4000)
    {
        DModel = 128, NumHeads = 4, NumLayers = 2, DimFeedforward = 256, MaxLen = 512, Pooling = Pooling.Attention, PadId = 1,
    };

    const int Batch = 32, Length = 256;

    public static void Run(RunPlan plan)
    {
        var model = new EncoderClassifier(Spam, numClasses: 2, new Generator(1));
        model.Eval();
        var random = new Random(1);
        // Token ids above the specials (0..3), no padding: every document is a full 256 tokens.
        var ids = Tensor.FromArray(Enumerable.Range(0, Batch * Length).Select(_ => (long)random.Next(4, Spam.VocabSize)).ToArray(), Batch, Length);
        void Classify()
        {
            using var _ = GradMode.NoGrad();
            var logits = model.Forward(ids);
            if (logits.Shape[0] != Batch) throw new InvalidOperationException("classify: wrong batch");
        }

        double ours = Batch / Timing.BestSeconds(Classify, plan);
        Report.Figure("classify_docs_per_s", ours, "docs/s");
        TorchAnchor.ReportBeside("classify", plan, "classify_docs_per_s", ours, "docs/s");
    }
}
