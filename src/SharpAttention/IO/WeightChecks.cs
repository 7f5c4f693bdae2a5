using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SharpAttention.Tensors;
using Tensor = SharpAttention.Tensors.Tensor;

namespace SharpAttention.IO;

/// <summary>
/// Checks that loaded weights can be used: every floating-point value finite, and every tensor of the kind (float,
/// integer, bool) of the parameter it fills. A NaN or infinity from a diverged run, or a float tensor relabelled as
/// an integer one, would otherwise load quietly and decode nothing or garbage. Failures are
/// <see cref="SafeTensorsFormatException"/>s naming the file, the tensor and the first bad element.
/// </summary>
public static class WeightChecks
{
    /// <summary>Throws when a floating-point entry holds a NaN or an infinity; integer and bool entries pass. F32, F64 and
    /// F16 take one SIMD pass (<see cref="TensorPrimitives.IsFiniteAll{T}(ReadOnlySpan{T})"/>) over the raw bytes.</summary>
    public static void ThrowIfNotFinite(SafeTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var bytes = entry.Data.Span;
        long bad = entry.DType switch
        {
            "F32" when BitConverter.IsLittleEndian => FirstNonFinite(MemoryMarshal.Cast<byte, float>(bytes)),
            "F64" when BitConverter.IsLittleEndian => FirstNonFinite(MemoryMarshal.Cast<byte, double>(bytes)),
            "F16" when BitConverter.IsLittleEndian => FirstNonFinite(MemoryMarshal.Cast<byte, Half>(bytes)),
            "F32" or "F16" => FirstNonFinite<float>(entry.ToFloatArray()),
            "F64" => FirstNonFinite<double>(entry.ToDoubleArray()),
            // The narrow formats' non-finite values all have every exponent bit set.
            "BF16" => FirstWithBits(bytes, 2, 0x7F80),
            "F8_E5M2" => FirstWithBits(bytes, 1, 0x7C),
            "F8_E4M3" => FirstWithBits(bytes, 1, 0x7F),   // no infinities; S.1111.111 is NaN
            _ => -1,
        };
        if (bad >= 0)
        {
            double value = entry.DType == "F64" ? entry.ToDoubleArray()[bad] : entry.ToFloatArray()[bad];   // only on failure
            throw new SafeTensorsFormatException(entry.File, entry.Name,
                $"element {bad} of {entry.NumEl} is {(double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf")}; " +
                "weights must be finite (did the training run diverge?)");
        }
    }

    /// <summary>Throws when an entry would fill a parameter or buffer of another kind: a float tensor from an integer
    /// or bool entry, or the other way round (torch would convert; a relabelled dtype is far likelier than intent).</summary>
    public static void ThrowIfKindDiffers(SafeTensorEntry entry, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(target);
        bool entryFloat = SafeTensorsTensor.IsFloat(entry.DType), entryBool = entry.DType is "BOOL";
        bool targetFloat = target.DType is DType.Float32 or DType.Float64, targetBool = target.DType == DType.Bool;
        if (entryFloat != targetFloat || (!entryFloat && entryBool != targetBool))
            throw new SafeTensorsFormatException(entry.File, entry.Name,
                $"dtype {entry.DType} cannot fill a {target.DType.TorchName()} tensor; was the dtype relabelled?");
    }

    static long FirstNonFinite<T>(ReadOnlySpan<T> values) where T : System.Numerics.INumberBase<T>
    {
        if (TensorPrimitives.IsFiniteAll(values)) return -1;
        for (int i = 0; i < values.Length; i++)
            if (!T.IsFinite(values[i])) return i;
        return -1;
    }

    static long FirstWithBits(ReadOnlySpan<byte> bytes, int width, int mask)
    {
        for (int i = 0; i < bytes.Length; i += width)
        {
            int bits = width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[i..]) : bytes[i];
            if ((bits & mask) == mask) return i / width;
        }
        return -1;
    }
}
