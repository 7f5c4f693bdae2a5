using SharpAttention.Tensors;

namespace SharpAttention.NN.Attention;

/// <summary>
/// nn.MultiheadAttention's masks (bool true = blocked, float added; attn_mask (L, S) or (B·H, L, S), key_padding_mask
/// (B, S)) turned into scaled_dot_product_attention's arguments: one mask broadcastable to (B, H, L, S) with bool
/// true = may attend, per-batch key lengths when the padding is a suffix (the fused kernel then skips those keys
/// instead of reading a mask), and the causal flag. Merging follows torch 2.x: two bool masks block where either
/// blocks; otherwise both become additive (−∞ for blocked) and are summed.
/// </summary>
internal readonly record struct MhaMasks(Tensor? Mask, Tensor? KeyLengths, bool IsCausal)
{
    const string Op = "multi_head_attention";

    public static MhaMasks Prepare(Tensor? attnMask, Tensor? keyPaddingMask, bool isCausal, int b, int h, int l, int s, DType dtype, bool unbatched)
    {
        Tensor? mask = null;   // SDPA convention
        if (attnMask is not null)
        {
            CheckDType(attnMask, "attn_mask");
            if (attnMask.Dim == 2)
            {
                if (attnMask.Size(0) != l || attnMask.Size(1) != s)
                    throw new ArgumentException($"{Op}: the shape of the 2D attn_mask is {ShapeUtil.Format(attnMask.Shape)}, but should be ({l}, {s})");
            }
            else if (attnMask.Dim == 3)
            {
                if (attnMask.Size(0) != b * h || attnMask.Size(1) != l || attnMask.Size(2) != s)
                    throw new ArgumentException($"{Op}: the shape of the 3D attn_mask is {ShapeUtil.Format(attnMask.Shape)}, but should be ({b * h}, {l}, {s})");
                attnMask = attnMask.Reshape(b, h, l, s);
            }
            else throw new ArgumentException($"{Op}: attn_mask's dimension {attnMask.Dim} is not supported (expected (L, S) or (B·H, L, S))");
            // torch requires a mask with is_causal and takes it on trust; the flag alone lets the kernel skip blocks.
            if (!(isCausal && IsCausalMask(attnMask, l, s)))
                mask = attnMask.DType == DType.Bool ? attnMask.LogicalNot() : attnMask.To(dtype);
        }

        Tensor? lengths = null;
        if (keyPaddingMask is not null)
        {
            CheckDType(keyPaddingMask, "key_padding_mask");
            if (keyPaddingMask.Dim != 2 || keyPaddingMask.Size(0) != b || keyPaddingMask.Size(1) != s)
                throw new ArgumentException($"{Op}: expecting key_padding_mask shape of ({(unbatched ? $"{s}" : $"{b}, {s}")}), " +
                                            $"but got {ShapeUtil.Format(keyPaddingMask.Shape)}");
            if (keyPaddingMask.DType == DType.Bool && SuffixLengths(keyPaddingMask) is { } n) lengths = n;
            else
            {
                var pad = keyPaddingMask.DType == DType.Bool ? keyPaddingMask.LogicalNot() : keyPaddingMask.To(dtype);
                mask = Merge(mask, pad.Reshape(b, 1, 1, s), dtype);   // (B, 1, 1, S)
            }
        }

        // scaled_dot_product_attention takes a mask or the causal flag, not both: fold causality into the mask.
        if (isCausal && mask is not null)
        {
            var allowed = Tensor.Arange(s, DType.Int64).View(1, s).Le(Tensor.Arange(l, DType.Int64).View(l, 1));   // (L, S): j ≤ i
            mask = Merge(mask, allowed, dtype);
            isCausal = false;
        }
        return new MhaMasks(mask, lengths, isCausal);
    }

    static void CheckDType(Tensor m, string name)
    {
        if (m.DType != DType.Bool && !m.DType.IsFloatingPoint())
            throw new ArgumentException($"{Op}: only bool and floating types of {name} are supported, got {m.DType.TorchName()}");
    }

    /// <summary>Both in SDPA convention: bool and bool → and; otherwise additive (−∞ where a bool blocks) and summed.</summary>
    static Tensor Merge(Tensor? a, Tensor bMask, DType dtype)
    {
        if (a is null) return bMask;
        if (a.DType == DType.Bool && bMask.DType == DType.Bool) return a.LogicalAnd(bMask);
        return Additive(a, dtype) + Additive(bMask, dtype);
    }

    static Tensor Additive(Tensor m, DType dtype) =>
        m.DType == DType.Bool ? Tensor.Zeros(m.ShapeArray, dtype).MaskedFill(m.LogicalNot(), double.NegativeInfinity) : m;

    /// <summary>Int64 (B) valid lengths when every row of a bool padding mask (B, S) is false then true, else null.</summary>
    static Tensor? SuffixLengths(Tensor keyPaddingMask)
    {
        int b = keyPaddingMask.Size(0), s = keyPaddingMask.Size(1);
        var pad = keyPaddingMask.ToBoolArray();
        var n = new long[b];
        for (int r = 0; r < b; r++)
        {
            int j = 0;
            while (j < s && !pad[r * s + j]) j++;
            n[r] = j;
            for (; j < s; j++)
                if (!pad[r * s + j]) return null;   // a real key after padding: not a suffix
        }
        return Tensor.FromArray(n, b);
    }

    /// <summary>Whether a 2-D mask in torch's MHA convention is exactly the causal mask (blocked iff j &gt; i).</summary>
    static bool IsCausalMask(Tensor mask, int l, int s)
    {
        if (mask.Dim != 2) return false;
        var v = mask.ToDoubleArray();   // bool → 0/1
        bool isBool = mask.DType == DType.Bool;
        for (int i = 0; i < l; i++)
            for (int j = 0; j < s; j++)
            {
                double x = v[i * s + j];
                bool blocked = isBool ? x != 0 : double.IsNegativeInfinity(x);
                if (blocked != (j > i) || (!isBool && !blocked && x != 0)) return false;
            }
        return true;
    }
}
