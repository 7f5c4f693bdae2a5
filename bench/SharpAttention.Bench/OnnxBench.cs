using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Onnx;
using SharpAttention.Tensors;
using Tensor = SharpAttention.Tensors.Tensor;

namespace SharpAttention.Bench;

/// <summary>
/// `onnx`: the spam classifier of `classify` (<see cref="ClassifyBench.Spam"/>) exported with ExportOnnx, plain and
/// `Fused` (com.microsoft MultiHeadAttention), run in ONNX Runtime on the same 32 documents of 256 tokens as
/// SharpAttention's own forward, interleaved, in documents per second; ONNX Runtime with all cores and every graph
/// optimisation. The outputs are compared first, so a figure never comes from a graph that computes something else.
/// </summary>
internal static class OnnxBench
{
    const int Batch = 32, Length = 256;

    public static void Run(RunPlan plan)
    {
        var model = new EncoderClassifier(ClassifyBench.Spam, numClasses: 2, new Generator(1));
        model.Eval();
        var random = new Random(1);
        var ids = Enumerable.Range(0, Batch * Length).Select(_ => (long)random.Next(4, ClassifyBench.Spam.VocabSize)).ToArray();
        var idsT = Tensor.FromArray(ids, Batch, Length);
        Tensor expected;
        using (GradMode.NoGrad()) expected = model.Forward(idsT);
        void Ours()
        {
            using var _ = GradMode.NoGrad();
            model.Forward(idsT);
        }

        var dir = Directory.CreateTempSubdirectory("bench-onnx").FullName;
        try
        {
            foreach (var fused in new[] { false, true })
            {
                var path = Path.Combine(dir, fused ? "fused.onnx" : "plain.onnx");
                model.ExportOnnx(path, new OnnxExportOptions { Fused = fused });
                using var options = new SessionOptions
                {
                    IntraOpNumThreads = Environment.ProcessorCount,
                    InterOpNumThreads = 1,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                };
                using var session = new InferenceSession(path, options);
                var inputs = new List<NamedOnnxValue>
                {
                    NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, [Batch, Length])),
                    NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), [Batch, Length])),
                };
                float[] Ort()
                {
                    using var results = session.Run(inputs);
                    return results.First().AsTensor<float>().ToArray();
                }
                CheckSame(expected.ToArray(), Ort(), fused);
                var (ort, ours) = Timing.BestSecondsInterleaved(() => Ort(), Ours, plan);
                string name = fused ? "onnx_classify_fused_docs_per_s" : "onnx_classify_docs_per_s";
                Report.Figure(name, Batch / ort, "docs/s");
                Report.Figure(name + "_ours", Batch / ours, "docs/s");
                Report.Figure(name.Replace("_docs_per_s", "_ours_vs_ort"), ort / ours, "x", 2);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static void CheckSame(float[] ours, float[] ort, bool fused)
    {
        double worst = ours.Zip(ort, (a, b) => Math.Abs(a - b)).Max();
        if (!(worst <= 1e-3)) throw new InvalidOperationException($"onnx: the {(fused ? "fused" : "plain")} export's logits differ from ours by {worst}");
    }
}
