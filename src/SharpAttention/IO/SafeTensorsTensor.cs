using System.Runtime.InteropServices;
using SharpAttention.Tensors;

namespace SharpAttention.IO;

/// <summary>Bridges safetensors entries and tensors: every dtype the format defines loads — F32, F16, BF16 and the 8-bit
/// floats as float32, F64 as float64, the integer types as int64 (U64 when its values fit), BOOL and U8 as bool;
/// float32, float64, int64 and bool tensors save as F32, F64, I64 and BOOL.</summary>
public static class SafeTensorsTensor
{
    public static Tensor ToTensor(this SafeTensorEntry entry)
    {
        var t = Load(entry);
        return entry.Shape.Length == 0 ? t.Reshape() : t;   // FromArray reads an empty shape as 1-D
    }

    static Tensor Load(SafeTensorEntry entry) => entry.DType switch
    {
        "F64" => Tensor.FromArray(entry.ToDoubleArray(), entry.Shape),
        "BOOL" or "U8" => Tensor.FromArray(entry.ToBoolArray(), entry.Shape),
        _ when IsFloat(entry.DType) => Tensor.FromArray(entry.ToFloatArray(), entry.Shape),
        _ => Tensor.FromArray(entry.ToInt64Array(), entry.Shape),   // the parser admits only the format's dtypes
    };

    /// <summary>True for the floating-point dtypes of the format (F64, F32, F16, BF16, F8_E4M3, F8_E5M2).</summary>
    public static bool IsFloat(string dtype) => dtype is "F64" or "F32" or "F16" or "BF16" or "F8_E4M3" or "F8_E5M2";

    /// <summary>Every tensor of a file, by name, in file order.</summary>
    public static Dictionary<string, Tensor> ToTensors(this SafeTensorsFile file)
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in file.Entries) dict[e.Name] = e.ToTensor();
        return dict;
    }

    /// <summary>A tensor as a safetensors record (name, dtype, shape, little-endian bytes of its contiguous copy).</summary>
    public static (string Name, string DType, int[] Shape, ReadOnlyMemory<byte> Data) ToRecord(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors: writing needs a little-endian machine");
        var c = tensor.Detach().Contiguous();
        byte[] bytes = c.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(c.Span<float>()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(c.Span<double>()).ToArray(),
            DType.Int64 => MemoryMarshal.AsBytes(c.Span<long>()).ToArray(),
            _ => MemoryMarshal.AsBytes(c.Span<bool>()).ToArray(),
        };
        string dtype = c.DType switch
        {
            DType.Float32 => "F32",
            DType.Float64 => "F64",
            DType.Int64 => "I64",
            _ => "BOOL",
        };
        return (name, dtype, c.Shape.ToArray(), bytes);
    }

    /// <summary>Writes named tensors (and string metadata) to <paramref name="path"/> atomically: a temporary file
    /// in the same folder is renamed over the target, so a crash mid-write leaves any previous file intact (and, with
    /// <paramref name="previousPath"/>, moved there).</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
                            string? previousPath = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        SafeTensors.Write(path, tensors.Select(kv => ToRecord(kv.Key, kv.Value)), metadata, previousPath);
    }
}
