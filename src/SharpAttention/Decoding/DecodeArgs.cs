using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>Argument checks and small pieces the decoding algorithms share.</summary>
internal static class DecodeArgs
{
    /// <summary>A (B, 1) prompt of the start token.</summary>
    public static Tensor StartTokens(IDecoderState state, long bosId)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Tensor.Full([state.BatchSize, 1], bosId, DType.Int64);
    }

    /// <summary>Checks what every algorithm takes: a prompt (B, P) for the state's B rows, and a maximum number of new
    /// tokens whose positions (the last token is never fed back) fit the model.</summary>
    public static void Check(IIncrementalDecoder decoder, IDecoderState state, Tensor prompt, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.DType != DType.Int64 || prompt.Dim != 2 || prompt.Size(0) != state.BatchSize || prompt.Size(1) < 1)
            throw new ArgumentException($"decoding: the prompt must be int64 ({state.BatchSize}, P ≥ 1) for a state of {state.BatchSize} rows, got " +
                                        $"{prompt.DType.TorchName()} {ShapeUtil.Format(prompt.Shape)}", nameof(prompt));
        if (maxLength < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "decoding: maxLength (tokens to generate) must be at least 1");
        long positions = (long)state.Length + prompt.Size(1) + maxLength - 1;
        if (positions > decoder.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength,
                $"decoding: {state.Length} fed + {prompt.Size(1)} prompt + {maxLength} new tokens need {positions} positions; the model holds {decoder.MaxLength}");
    }

    /// <summary>Log-softmax of the logits (R, V) as float32 rows, the pad token (if any) set to −∞ so it is never chosen.</summary>
    public static Tensor LogProbs(Tensor logits, long? padId)
    {
        var logp = logits.Float().LogSoftmax(-1).Contiguous();
        if (padId is long pad && pad >= 0 && pad < logp.Size(1))
        {
            var span = logp.Span<float>();
            for (int r = 0, v = logp.Size(1); r < logp.Size(0); r++) span[r * v + (int)pad] = float.NegativeInfinity;
        }
        return logp;
    }
}
