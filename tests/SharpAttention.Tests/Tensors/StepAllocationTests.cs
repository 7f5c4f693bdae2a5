using SharpAttention.Bench;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>
/// Issue 3's memory bound on a small copy of the benchmark's training stack (4 pre-LN attention + GELU-MLP blocks,
/// dropout, cross-entropy, AdamW): after warm-up, a step inside a TensorScope takes no fresh tensor storage and
/// allocates under 1 MB on the managed heap. Byte counts, not time, so the bound is deterministic enough to assert.
/// In the serial collection: the process-wide allocation counter must not see other tests.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public class StepAllocationTests
{
    static readonly StackModel.Config Small = new(Vocab: 500, DModel: 64, Heads: 4, DFF: 256, Layers: 4, T: 32, Batch: 4, Dropout: 0.1);

    [Fact]
    public void AScopedTrainingStepAllocatesUnderOneMegabyteAfterWarmUp()
    {
        var model = new StackModel(Small, seed: 3);
        var (ids, targets) = model.Batch(new Generator(4));
        for (int i = 0; i < 3; i++) Step(model, ids, targets);

        const int steps = 10;   // averages out the odd thread-pool allocation of a step
        long fresh = StoragePool.FreshBytes;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < steps; i++) Step(model, ids, targets);
        long perStep = (GC.GetTotalAllocatedBytes(precise: true) - before) / steps;

        Assert.Equal(0, StoragePool.FreshBytes - fresh);
        Assert.True(perStep < 1 << 20, $"a training step allocated {perStep} bytes");
    }

    static void Step(StackModel model, Tensor ids, Tensor targets)
    {
        using var scope = TensorScope.Begin();
        Assert.True(float.IsFinite(model.Step(ids, targets)));
    }
}
