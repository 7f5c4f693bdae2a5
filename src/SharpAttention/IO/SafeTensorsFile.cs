using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SharpAttention.IO;

/// <summary>The parsed contents of a safetensors file: its string metadata and its tensors, already validated.
/// A file from <see cref="SafeTensors.ReadMapped"/> holds the mapping until disposed; for the others Dispose does nothing.</summary>
public sealed class SafeTensorsFile : IDisposable
{
    readonly Dictionary<string, SafeTensorEntry> _byName;
    readonly IDisposable? _owner;

    internal SafeTensorsFile(string? path, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensorEntry> entries,
                             IDisposable? owner = null)
    {
        _owner = owner;
        Path = path;
        Metadata = metadata;
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The file this was read from, or null for a stream or buffer.</summary>
    public string? Path { get; }

    /// <summary>The header's <c>__metadata__</c> map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>All tensors, ordered by where their data starts in the file.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    public SafeTensorEntry this[string name] => _byName.TryGetValue(name, out var e) ? e
        : throw new KeyNotFoundException(Path is null ? $"safetensors: no tensor named '{name}'" : $"safetensors file '{Path}': no tensor named '{name}'");

    public bool TryGet(string name, out SafeTensorEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>Unmaps a memory-mapped file; entries' data can no longer be read. No effect on other files.</summary>
    public void Dispose() => _owner?.Dispose();
}

/// <summary>One tensor of a safetensors file: dtype as spelled in the file, shape, and its raw little-endian bytes,
/// with converters to managed arrays.</summary>
public sealed class SafeTensorEntry
{
    internal SafeTensorEntry(string? file, string name, string dtype, int[] shape, long numEl, ReadOnlyMemory<byte> data)
    {
        File = file;
        Name = name;
        DType = dtype;
        _shape = shape;
        NumEl = numEl;
        Data = data;
    }

    readonly int[] _shape;

    /// <summary>The file this entry was read from, or null for a stream or buffer (errors about its values name it).</summary>
    public string? File { get; }

    public string Name { get; }

    /// <summary>The dtype string exactly as the file has it: F32, F64, F16, BF16, I64, I32, BOOL, U8, ...</summary>
    public string DType { get; }

    /// <summary>A copy of the shape; empty for a scalar.</summary>
    public int[] Shape => (int[])_shape.Clone();

    public long NumEl { get; }

    /// <summary>The raw bytes, little-endian, row-major; exactly NumEl × element size long.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>F32 as is; F64 rounded; F16, BF16 and the 8-bit floats (F8_E4M3, F8_E5M2) widened exactly.</summary>
    public float[] ToFloatArray()
    {
        var src = Data.Span;
        var dst = new float[Count()];
        switch (DType)
        {
            case "F32":
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case "F64":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case "F16":
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case "BF16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            case "F8_E5M2":
                for (int i = 0; i < dst.Length; i++) dst[i] = Float8E5M2ToSingle(src[i]);
                break;
            case "F8_E4M3":
                for (int i = 0; i < dst.Length; i++) dst[i] = Float8E4M3ToSingle(src[i]);
                break;
            default:
                throw Unsupported(nameof(ToFloatArray), "F32, F64, F16, BF16, F8_E4M3 or F8_E5M2");
        }
        return dst;
    }

    /// <summary>F64 as is; F32, F16 and BF16 widened exactly.</summary>
    public double[] ToDoubleArray()
    {
        var src = Data.Span;
        var dst = new double[Count()];
        switch (DType)
        {
            case "F64":
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, double>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case "F32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case "F16":
                for (int i = 0; i < dst.Length; i++) dst[i] = (double)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case "BF16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            default:
                throw Unsupported(nameof(ToDoubleArray), "F64, F32, F16 or BF16");
        }
        return dst;
    }

    /// <summary>I64 as is; narrower integer types (I32, I16, I8, U32, U16, U8) widened; U64 when every value fits
    /// (a larger one is a <see cref="SafeTensorsFormatException"/> naming the element).</summary>
    public long[] ToInt64Array()
    {
        var src = Data.Span;
        var dst = new long[Count()];
        switch (DType)
        {
            case "I64":
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, long>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case "I32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                break;
            case "U32":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]);
                break;
            case "I16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]);
                break;
            case "U16":
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]);
                break;
            case "I8":
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                break;
            case "U8":
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            case "U64":
                for (int i = 0; i < dst.Length; i++)
                {
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]);
                    dst[i] = v <= long.MaxValue ? (long)v
                        : throw new SafeTensorsFormatException(File, Name, $"U64 element {i} is {v}, above the int64 range it loads into");
                }
                break;
            default:
                throw Unsupported(nameof(ToInt64Array), "I64, I32, I16, I8, U64, U32, U16 or U8");
        }
        return dst;
    }

    /// <summary>BOOL or U8; any non-zero byte reads as true.</summary>
    public bool[] ToBoolArray()
    {
        if (DType is not ("BOOL" or "U8")) throw Unsupported(nameof(ToBoolArray), "BOOL or U8");
        var src = Data.Span;
        var dst = new bool[Count()];
        for (int i = 0; i < dst.Length; i++) dst[i] = src[i] != 0;
        return dst;
    }

    /// <summary>bfloat16 is the top half of a float32, so widening is a shift (NaN payloads and infinities survive).</summary>
    static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float8 e5m2 is the top byte of a float16 (same exponent width and bias), so it widens through Half.</summary>
    static float Float8E5M2ToSingle(byte bits) => (float)BitConverter.UInt16BitsToHalf((ushort)(bits << 8));

    /// <summary>float8 e4m3fn (torch.float8_e4m3fn): sign, 4 exponent bits with bias 7, 3 mantissa bits; no
    /// infinities, and S.1111.111 is NaN. Normal values are (8 + m)·2^(e − 10), subnormals m·2^−9.</summary>
    static float Float8E4M3ToSingle(byte bits)
    {
        int exponent = (bits >> 3) & 0xF, mantissa = bits & 7;
        float magnitude = exponent == 0xF && mantissa == 7 ? float.NaN
            : exponent == 0 ? MathF.ScaleB(mantissa, -9)
            : MathF.ScaleB(8 + mantissa, exponent - 10);
        return (bits & 0x80) != 0 ? -magnitude : magnitude;
    }

    // The parser guarantees Data.Length == NumEl × element size, and Data lives in one managed array, so NumEl fits an int.
    int Count() => checked((int)NumEl);

    NotSupportedException Unsupported(string method, string accepted) =>
        new($"safetensors: tensor '{Name}' has dtype {DType}; {method} reads {accepted}");
}
