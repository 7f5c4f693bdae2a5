using System.Buffers.Binary;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.IO;

/// <summary>Every dtype the format defines loads as a tensor (values worked out by hand from the bit patterns), and
/// weights that cannot be used — not finite, or of another kind than their parameter — are refused by name.</summary>
public class SafeTensorsDtypeTests
{
    static SafeTensorsFile One(string dtype, int[] shape, byte[] data, string? path = null)
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, [("t", dtype, shape, data)]);
        if (path == null) return SafeTensors.Parse(stream.ToArray());
        File.WriteAllBytes(path, stream.ToArray());
        return SafeTensors.Read(path);
    }

    static byte[] LittleEndian(int width, params long[] values)
    {
        var bytes = new byte[width * values.Length];
        for (int i = 0; i < values.Length; i++)
            for (int b = 0; b < width; b++) bytes[i * width + b] = (byte)(values[i] >> (8 * b));
        return bytes;
    }

    [Theory]
    [InlineData("U16", 2, new long[] { 0, 1, 65535 })]
    [InlineData("U32", 4, new long[] { 0, 7, 4294967295 })]
    [InlineData("I16", 2, new long[] { -32768, -1, 32767 })]
    [InlineData("I8", 1, new long[] { -128, -1, 127 })]
    [InlineData("U64", 8, new long[] { 0, 5, long.MaxValue })]
    public void IntegerDtypesLoadAsInt64(string dtype, int width, long[] values)
    {
        var t = One(dtype, [3], LittleEndian(width, values))["t"].ToTensor();
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(values, t.ToInt64Array());
    }

    [Fact]
    public void A64BitUnsignedValueAboveTheInt64RangeIsAFormatErrorNamingFileAndElement()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "u64.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 1UL << 63);
        var e = Assert.Throws<SafeTensorsFormatException>(() => One("U64", [2], bytes, path)["t"].ToTensor());
        Assert.Contains(path, e.Message);
        Assert.Contains("tensor 't': U64 element 1 is 9223372036854775808, above the int64 range", e.Message);
    }

    [Fact]
    public void EightBitFloatsWidenToHandWorkedValues()
    {
        // e4m3fn: 0x38 = 0.0111.000 → 1·2^0; 0x7E = 0.1111.110 → 1.75·2^8 = 448 (the largest); 0x01 → 2^-9 (smallest
        // subnormal); 0xB8 → -1; 0x7F → NaN. e5m2: 0x3C → 1; 0x7C → +Inf; 0x01 → 2^-16; 0xC0 → -2.
        var e4m3 = One("F8_E4M3", [5], [0x38, 0x7E, 0x01, 0xB8, 0x7F])["t"].ToTensor().ToArray();
        Assert.Equal([1f, 448f, 0.001953125f, -1f], e4m3[..4]);
        Assert.True(float.IsNaN(e4m3[4]));
        var e5m2 = One("F8_E5M2", [4], [0x3C, 0x7C, 0x01, 0xC0])["t"].ToTensor().ToArray();
        Assert.Equal([1f, float.PositiveInfinity, 1f / 65536, -2f], e5m2);
    }

    [Theory]
    [InlineData("F32", new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0xC0, 0x7F }, "element 1 of 2 is NaN")]        // 1.0, NaN
    [InlineData("F16", new byte[] { 0, 0x7C, 0, 0x3C }, "element 0 of 2 is +Inf")]                          // +Inf, 1.0
    [InlineData("BF16", new byte[] { 0x80, 0x3F, 0x80, 0xFF }, "element 1 of 2 is -Inf")]                   // 1.0, -Inf
    [InlineData("F64", new byte[] { 0, 0, 0, 0, 0, 0, 0xF0, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0 }, "element 0 of 2 is +Inf")]
    [InlineData("F8_E4M3", new byte[] { 0x38, 0xFF }, "element 1 of 2 is NaN")]
    [InlineData("F8_E5M2", new byte[] { 0xFC, 0x3C }, "element 0 of 2 is -Inf")]
    public void NonFiniteWeightsAreNamedWithTheirElement(string dtype, byte[] data, string expected)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "w.safetensors");
        var e = Assert.Throws<SafeTensorsFormatException>(() => WeightChecks.ThrowIfNotFinite(One(dtype, [2], data, path)["t"]));
        Assert.Contains($"safetensors file '{path}': tensor 't': {expected}", e.Message);
    }

    [Fact]
    public void FiniteExtremesAndIntegerTensorsPass()
    {
        WeightChecks.ThrowIfNotFinite(One("F64", [2], LittleEndian(8, BitConverter.DoubleToInt64Bits(1e300), BitConverter.DoubleToInt64Bits(-double.MaxValue)))["t"]);
        WeightChecks.ThrowIfNotFinite(One("F32", [1], BitConverter.GetBytes(float.MaxValue))["t"]);
        WeightChecks.ThrowIfNotFinite(One("I32", [1], LittleEndian(4, 0x7F800000))["t"]);   // the bits of +Inf, but an integer
    }

    [Fact]
    public void LoadingAModuleRefusesNonFiniteWeightsBeforeChangingAnything()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "lin.safetensors");
        var source = new Linear(3, 2, generator: new Generator(1));
        using (SharpAttention.Autograd.GradMode.NoGrad()) source.Bias!.Fill_(float.NegativeInfinity);
        source.SaveSafetensors(path);
        var target = new Linear(3, 2, generator: new Generator(2));
        var before = target.Weight.ToArray();
        var e = Assert.Throws<SafeTensorsFormatException>(() => target.LoadSafetensors(path));
        Assert.Contains($"'{path}': tensor 'bias': element 0 of 2 is -Inf", e.Message);
        Assert.Equal(before, target.Weight.ToArray());
        target.LoadSafetensors(path, checkFinite: false);   // asked for: loads as torch would
        Assert.Equal(float.NegativeInfinity, target.Bias!.ToArray()[1]);
    }

    [Fact]
    public void AFloatTensorRelabelledAsAnIntegerOneIsRefused()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "relabelled.safetensors");
        var source = new Linear(2, 1, generator: new Generator(1));
        source.SaveSafetensors(path);
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        int at = text.IndexOf("\"dtype\":\"F32\"", text.IndexOf("\"bias\":{", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(at > 0);
        bytes[at + "\"dtype\":\"".Length] = (byte)'I';   // F32 → I32: same size, so the format itself is intact
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => new Linear(2, 1).LoadSafetensors(path));
        Assert.Contains("tensor 'bias': dtype I32 cannot fill a float32 tensor", e.Message);
    }
}
