using SharpAttention.Kernels.Gemm;

namespace SharpAttention.Tests.Kernels;

/// <summary>The few-row GEMV path of the fp32 GEMM (A of 1..4 rows against a transposed B, a Linear layer's weight)
/// against the naive reference, on every ISA path this machine runs: every depth 0..257, odd column counts around
/// the 4-row groups, alpha/beta, padded leading dimensions, and bit-identical results for any thread split.</summary>
public class GemvTests
{
    public static readonly TheoryData<string> Isas = GemmTests.Isas;

    [Theory]
    [MemberData(nameof(Isas))]
    public void EveryDepthFrom0To257AndOddWidths(string isa) => GemmTests.On(isa, () =>
    {
        for (int m = 1; m <= Gemv.MaxRows; m++)
            for (int k = 0; k <= 257; k++)
                foreach (int n in new[] { 1, 3, 5, 7, 9 })
                    GemmTests.Compare<float>(false, true, m, n, k, seed: k * 31 + n);
    });

    [Theory]
    [MemberData(nameof(Isas))]
    public void AlphaBetaPaddingAndWideOutputs(string isa) => GemmTests.On(isa, () =>
    {
        foreach (int m in new[] { 1, 2, 3, 4, 5 })
            foreach (var (n, k) in new[] { (37, 129), (1029, 67), (4099, 33) })
            {
                GemmTests.Compare<float>(false, true, m, n, k, alpha: 0.5, beta: 0, pad: 3, parts: 1);
                GemmTests.Compare<float>(false, true, m, n, k, alpha: -1.5, beta: 0.75, pad: 2, parts: 2);
            }
    });

    [Fact]
    public void BitIdenticalForAnyThreadSplitAndPropagatesNaN()
    {
        var rng = new Random(5);
        int m = 3, n = 4099, k = 300;   // above the threading threshold
        float[] a = new float[m * k], b = new float[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        b[7 * k + 11] = float.NaN;
        var one = new float[m * n];
        var two = new float[m * n];
        Gemm.RunBatched(false, true, 1, m, n, k, 1f, a, k, 0, b, k, 0, 0f, one, n, 0, parts: 1);
        Gemm.RunBatched(false, true, 1, m, n, k, 1f, a, k, 0, b, k, 0, 0f, two, n, 0, parts: 2);
        Assert.Equal(one, two);
        for (int i = 0; i < m; i++)
        {
            Assert.True(float.IsNaN(one[i * n + 7]));
            Assert.False(float.IsNaN(one[i * n + 8]));
        }
    }
}
