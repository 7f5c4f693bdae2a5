using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Decoding.DecodingTestUtil;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Decoding;

/// <summary>A step with the KV cache gives the logits of recomputing the whole prefix (within 1e-5), for every layout.</summary>
public class IncrementalDecodingTests
{
    public static readonly TheoryData<bool, PositionEncoding> Seq2SeqLayouts = new()
    {
        { false, PositionEncoding.Sinusoidal }, { false, PositionEncoding.Learned },
        { true, PositionEncoding.Sinusoidal }, { true, PositionEncoding.Learned },
    };

    [Theory]
    [MemberData(nameof(Seq2SeqLayouts))]
    public void Seq2SeqStepsMatchTheFullPrefixOnAPaddedBatch(bool normFirst, PositionEncoding positions)
    {
        var m = Seq2Seq(normFirst, positions);
        var src = Sources();
        var target = Tensor.Cat([Tensor.Full([3, 1], Bos, DType.Int64), Ids(3, 9, 2, 13, 7)], 1);   // (3, 10), no padding
        var state = m.BeginDecoding(src, capacity: 2);   // grows twice on the way
        var (memory, srcPad) = m.Encode(src);
        // A prefill of three positions, then one at a time.
        int fed = 0;
        foreach (int t in new[] { 3, 1, 1, 1, 1, 1, 1, 1 })
        {
            var logits = m.Step(state, target.Narrow(1, fed, t));
            fed += t;
            var full = m.Decode(target.Narrow(1, 0, fed), memory, srcPad);          // (B, fed, V)
            Close(full.Select(1, fed - 1), logits);
        }
        Assert.Equal(fed, state.Length);
    }

    public static readonly TheoryData<PositionEncoding, int?> CausalLayouts = new()
    {
        { PositionEncoding.Rotary, 2 }, { PositionEncoding.Rotary, 1 }, { PositionEncoding.Learned, null }, { PositionEncoding.Sinusoidal, null },
    };

    [Theory]
    [MemberData(nameof(CausalLayouts))]
    public void CausalModelStepsMatchTheFullSequence(PositionEncoding positions, int? kvHeads)
    {
        var m = Causal(positions, kvHeads);
        var ids = Ids(2, 12, 0, 17, 9);
        var state = m.BeginDecoding(2, capacity: 3);
        int fed = 0;
        foreach (int t in new[] { 4, 1, 1, 2, 1, 1, 1, 1 })
        {
            var logits = m.Step(state, ids.Narrow(1, fed, t));
            fed += t;
            Close(m.Forward(ids.Narrow(1, 0, fed)).Select(1, fed - 1), logits);
        }
    }

    [Fact]
    public void ReorderedStateContinuesTheRowsItWasGiven()
    {
        var m = Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal);
        var src = Sources();
        var target = Tensor.Cat([Tensor.Full([3, 1], Bos, DType.Int64), Ids(3, 4, 2, 13, 8)], 1);   // (3, 5)
        var state = m.BeginDecoding(src);
        m.Step(state, target.Narrow(1, 0, 3));
        int[] rows = [2, 0, 2, 1];
        state.Reorder(rows);
        var index = Tensor.FromArray(Array.ConvertAll(rows, r => (long)r), rows.Length);
        var logits = m.Step(state, target.IndexSelect(0, index).Narrow(1, 3, 1));
        Close(m.Forward(src.IndexSelect(0, index), target.IndexSelect(0, index).Narrow(1, 0, 4)).Select(1, 3), logits);
    }

    [Fact]
    public void StepChecksItsArguments()
    {
        var m = Seq2Seq(normFirst: false, PositionEncoding.Learned);
        var state = m.BeginDecoding(Sources());
        Assert.Throws<ArgumentException>(() => m.Step(state, Tensor.Full([2, 1], Bos, DType.Int64)));              // wrong batch
        Assert.Throws<ArgumentException>(() => m.Step(Seq2Seq(false, PositionEncoding.Learned).BeginDecoding(Sources()), Tensor.Full([3, 1], Bos, DType.Int64)));
        Assert.Throws<ArgumentException>(() => m.Step(state, Tensor.Full([3, 25], Bos, DType.Int64)));             // past MaxLen
        m.Train();
        Assert.Throws<InvalidOperationException>(() => m.Step(state, Tensor.Full([3, 1], Bos, DType.Int64)));
    }

    [Fact]
    public void StepsRecordNoGraphAndCachesSurviveStepScopes()
    {
        var m = Causal(PositionEncoding.Rotary, 2);
        var state = m.BeginDecoding(1, capacity: 1);
        var ids = Ids(1, 6, 0, 17, 3);
        Tensor last = null!;
        for (int i = 0; i < 6; i++)
        {
            using var scope = TensorScope.Begin();
            var logits = m.Step(state, ids.Narrow(1, i, 1));
            Assert.False(logits.RequiresGrad);
            last = logits.Clone().DetachFromScope();
        }
        Assert.True(GradMode.IsEnabled);
        Close(m.Forward(ids).Select(1, 5), last);
    }
}
