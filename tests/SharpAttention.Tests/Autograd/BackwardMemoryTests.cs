using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

/// <summary>Backward frees each gradient between nodes once its consumer has run, as PyTorch's engine does: a chain of n
/// ops needs a few gradient buffers at once, not n. In the serial collection: it reads the pool's process-wide counters.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class BackwardMemoryTests
{
    const int N = 1 << 18;            // 1 MiB of floats per tensor
    const long Bytes = 4L * N;

    [Fact]
    public void AChainOfOpsHoldsAFewGradientsAtOnceAndGetsTheRightGradient()
    {
        const int Depth = 40;
        using var scope = TensorScope.Begin();
        var x = Tensor.Full([N], 1f).RequiresGrad_();
        // y = x · 1.01^Depth through Depth ops, each saving nothing (a constant factor).
        var y = x;
        for (int i = 0; i < Depth; i++) y = y * 1.01f;
        var loss = y.Sum();

        long before = StoragePool.AllocatedBytes;
        StoragePool.ResetPeakStats();
        loss.Backward();
        long peak = StoragePool.MaxAllocatedBytes - before;

        // Holding every gradient until the pass ends would take Depth buffers; a chain needs about three (the incoming
        // gradient, the one being made, the leaf's).
        Assert.True(peak <= 4 * Bytes, $"backward held {peak / (double)Bytes:F1} gradient buffers at its peak");
        float expected = MathF.Pow(1.01f, Depth);
        var grad = x.Grad!.ToArray();
        Assert.All(new[] { grad[0], grad[N / 2], grad[^1] }, g => Assert.Equal(expected, g, expected * 1e-5f));
    }

    [Fact]
    public void BranchesThatShareAGradientStayRight()
    {
        // d/dx of sum((x + x) · x + (x · 2 + x)) = 4x + 3, through ops that hand one gradient to two inputs.
        using var scope = TensorScope.Begin();
        var x = Tensor.Arange(0, 1000).RequiresGrad_();
        var h = x + x;
        var loss = (h * x + (x * 2f + x)).Sum();
        loss.Backward();
        var grad = x.Grad!.ToArray();
        for (int i = 0; i < grad.Length; i++) Assert.Equal(4f * i + 3f, grad[i]);
    }
}
