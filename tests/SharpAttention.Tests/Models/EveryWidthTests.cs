using SharpAttention.Kernels.Simd;
using SharpAttention.Models;
using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Models;

/// <summary>A whole model's forward and backward with every kernel family (GEMM, fused attention, elementwise) forced
/// onto each SIMD width this machine runs: logits, loss and every parameter gradient agree with the widest width's
/// within float rounding (each kernel is checked against its reference twin elsewhere; this checks they compose).
/// Forcing the width is process-wide, hence the serial collection.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class EveryWidthTests
{
    [Fact]
    public void CausalLanguageModelAgreesAtEveryWidth()
    {
        // Long enough for several attention tiles at every width (L = 40 > 32 query rows of a 256-bit tile), GQA heads.
        var config = CausalLMConfig.Tiny(50) with { DModel = 48, NumHeads = 4, NumKvHeads = 2, DimFeedforward = 96, MaxLen = 64, Dropout = 0 };
        var ids = Ids(3, 41, 0, 50, seed: 5);
        var input = ids.Narrow(1, 0, 40).Contiguous();
        var target = ids.Narrow(1, 1, 40).Contiguous();

        List<(string Name, Tensor Value)> Run()
        {
            var model = new CausalLanguageModel(config, new Generator(9));
            var logits = model.Forward(input);
            var loss = F.CrossEntropy(logits.Reshape(-1, 50), target.Reshape(-1));
            loss.Backward();
            var results = new List<(string, Tensor)> { ("logits", logits.Detach()), ("loss", loss.Detach()) };
            results.AddRange(model.NamedParameters().Select(p => ("grad " + p.Name, p.Parameter.Grad!)));
            return results;
        }

        List<(string Name, Tensor Value)>? widest = null;
        foreach (int width in KernelPaths.Widths)
            using (SimdWidth.Force(width))
            {
                var results = Run();
                if (widest == null)
                {
                    widest = results;
                    continue;
                }
                Assert.Equal(widest.Count, results.Count);
                for (int i = 0; i < results.Count; i++)
                {
                    Assert.Equal(widest[i].Name, results[i].Name);
                    var (e, a) = (widest[i].Value.ToArray(), results[i].Value.ToArray());
                    double scale = Math.Max(1e-3, e.Max(x => Math.Abs((double)x)));
                    for (int k = 0; k < e.Length; k++)
                        Assert.True(Math.Abs(e[k] - a[k]) <= 1e-4 * scale, $"{width}-bit {results[i].Name}[{k}]: {a[k]} vs {e[k]} at the widest width");
                }
            }
        Assert.NotNull(widest);
    }
}
