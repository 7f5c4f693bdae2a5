using System.Diagnostics;
using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `classify`: inference throughput of the spam recipe's classifier (attn train classify --recipe spam: BPE 4,000,
/// 2 pre-LN GELU layers of 128, 4 heads, feed-forward 256, learned positions, attention pooling, 2 classes) on
/// 256-token documents at batch 32, in documents per second, beside the same model in torch.nn (torch_classify.py).
/// Two ways of calling it, timed alternately: `classify_docs_per_s` is PyTorch's idiom, a no-grad forward with no
/// tensor scope (what a user writes), and `classify_docs_per_s_scoped` the same inside `Tensor.Scope()` (as
/// TextClassifier.Predict runs it). `classify_forward_ms_p50`/`_p90` time 100 consecutive idiomatic calls one by one:
/// a steady loop has the two close (before the model's forward freed its intermediates itself, calls alternated
/// between about 35 and 72 ms on an idle Zen 5 and the figure was bimodal from run to run).
/// </summary>
internal static class ClassifyBench
{
    /// <summary>The network of each of the spam recipe's 4 ensemble members (ClassifyRecipe.Spam in the CLI; keep the two in step).</summary>
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
        float[] Classify()
        {
            using var _ = GradMode.NoGrad();
            var logits = model.Forward(ids);
            if (logits.Shape[0] != Batch) throw new InvalidOperationException("classify: wrong batch");
            return logits.ToArray();
        }
        float[] ClassifyScoped()
        {
            using var scope = Tensor.Scope();
            return Classify();
        }
        if (!Classify().AsSpan().SequenceEqual(ClassifyScoped()))
            throw new InvalidOperationException("classify: the scoped forward's logits differ from the unscoped one's");

        var (plain, scoped) = Timing.BestSecondsInterleaved(() => Classify(), () => ClassifyScoped(), plan);
        var calls = new double[plan.IsQuick ? 10 : 100];
        for (int i = 0; i < calls.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Classify();
            calls[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(calls);

        Report.Figure("classify_docs_per_s", Batch / plain, "docs/s");
        Report.Figure("classify_docs_per_s_scoped", Batch / scoped, "docs/s");
        Report.Figure("classify_forward_ms_p50", calls[calls.Length / 2], "ms");
        Report.Figure("classify_forward_ms_p90", calls[calls.Length * 9 / 10], "ms");
        var torch = TorchAnchor.ReportBeside("classify", plan, "classify_docs_per_s", Batch / plain, "docs/s");
        if (torch is double t) Report.Figure("classify_docs_per_s_scoped_vs_torch", Batch / scoped / t, "x", decimals: 2);
        else Report.Unavailable("classify_docs_per_s_scoped_vs_torch");
    }
}
