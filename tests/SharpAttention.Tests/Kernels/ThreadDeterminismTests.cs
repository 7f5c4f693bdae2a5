using SharpAttention.Kernels;
using SharpAttention.Kernels.Reference;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Kernels.RowKernelTestUtil;

namespace SharpAttention.Tests.Kernels;

/// <summary>
/// Same inputs, 1, 2 and 3 threads: every parallel kernel must give the same bits (rows computed alone, flat work in
/// fixed chunks, cross-row sums over fixed chunks added in order). Sizes are chosen so every kernel really splits.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public class ThreadDeterminismTests
{
    /// <summary>A forward and backward through every parallel op, plus two AdamW steps; returns every output,
    /// gradient and updated parameter as raw floats.</summary>
    static List<float[]> RunEverything()
    {
        var g = new Generator(99);
        const int rows = 96, n = 700, classes = 300;
        var x = Tensor.Randn([rows, n], g).RequiresGrad_();
        var w = Tensor.Randn([n], g).RequiresGrad_();
        var b = Tensor.Randn([n], g).RequiresGrad_();
        var emb = Tensor.Randn([50, n], g).RequiresGrad_();
        var ids = Tensor.RandInt(0, 50, [rows], g);                 // repeats: the embedding gradient adds rows
        var target = Tensor.RandInt(0, classes, [rows], g);
        var results = new List<Tensor>();

        var h = x + F.Embedding(ids, emb);                          // (rows, n) flat add
        var ln = F.LayerNorm(h, [n], w, b);
        var rms = F.RmsNorm(h, [n], w);
        var act = ln.Gelu() + rms.Gelu("tanh") * ln.Silu() + ln.Tanh() + (ln + b).Relu();   // row-broadcast add
        var drop = F.Dropout(act, 0.25, training: true, generator: new Generator(5));
        var soft = drop.Softmax(-1) + drop.LogSoftmax(-1) * 1e-3;
        var colSum = soft.Sum(0);                                   // (n) column sums
        var moments = soft.Var(1) + soft.Mean(1) + soft.Max(1).Values;
        var ce = F.CrossEntropy(drop.Narrow(1, 0, classes), target, labelSmoothing: 0.1);
        var bce = F.BinaryCrossEntropyWithLogits(drop, soft.Detach());
        var permuted = drop.Reshape(rows, 7, 100).Permute(2, 0, 1).Contiguous();  // strided copy
        var loss = colSum.Sum() + moments.Sum() + ce + bce + permuted.Exp().Mean() + act.Sum();
        results.AddRange([h, ln, rms, act, drop, soft, colSum, moments, ce, bce, permuted, loss, act.Sum(), act.Reshape(-1).Sum()]);
        loss.Backward();
        results.AddRange([x.Grad!, w.Grad!, b.Grad!, emb.Grad!]);

        var opt = new AdamW([x, w, b, emb], lr: 1e-2);
        opt.Step();
        opt.Step();
        results.AddRange([x, w, b, emb]);
        return results.ConvertAll(t => t.Detach().ToArray());
    }

    [Fact]
    public void EveryParallelKernelGivesTheSameBitsForOneTwoAndThreeThreads()
    {
        var one = KernelPaths.WithThreads(1, RunEverything);
        foreach (int threads in new[] { 2, 3 })
        {
            var many = KernelPaths.WithThreads(threads, RunEverything);
            Assert.Equal(one.Count, many.Count);
            for (int i = 0; i < one.Count; i++)
                Assert.True(one[i].AsSpan().SequenceEqual(many[i]), $"result {i} differs between 1 and {threads} threads");
        }
    }

    [Fact]
    public void LongSingleRowSumIsTheSequentialSumForAnyThreadCount()
    {
        var x = Normal<float>(new Generator(4), 300_001, mean: 3);
        var reference = new float[1];
        ReduceReference.SumRows<float>(reference, x, x.Length);
        float expected = (float)ReduceKernel.Sum<float>(x);   // the blocked sequential sum
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = new float[1];
            KernelPaths.WithThreads(threads, () =>
            {
                ReduceKernel.SumRows<float>(y, x, x.Length);
                return 0;
            });
            Assert.Equal(expected, y[0]);
            AssertClose<float>(reference, y, 0, 1e-6, $"sum of 300001 at {threads} threads");
        }
    }

    [Fact]
    public void ColumnSumsMatchTheReferenceOnOddShapes()
    {
        var g = new Generator(8);
        foreach (int rows in new[] { 1, 3, 7, 257, 1000 })
            foreach (int cols in new[] { 1, 2, 63, 64, 65, 257 })
            {
                var x = Normal<double>(g, rows * cols, mean: 5);
                var transposed = new double[x.Length];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) transposed[c * rows + r] = x[r * cols + c];
                double[] y = new double[cols], expected = new double[cols];
                ReduceReference.SumRows<double>(expected, transposed, rows);
                ReduceKernel.SumColumns<double>(y, x);
                AssertClose<double>(expected, y, 1e-12, 1e-13, $"columns rows={rows} cols={cols}");

                var xf = Array.ConvertAll(x, v => (float)v);
                var yf = new float[cols];
                var ef = Array.ConvertAll(expected, v => (float)v);
                ReduceKernel.SumColumns<float>(yf, xf);
                AssertClose<float>(ef, yf, 1e-4, 1e-6, $"columns (float) rows={rows} cols={cols}");
            }
    }
}
