using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SharpAttention.IO;

namespace SharpAttention.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sharpattention-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static ReadOnlyMemory<byte> Bytes<T>(params T[] values) where T : unmanaged
    {
        // Fixtures are little-endian; build them explicitly so the test means the same on any host.
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < bytes.Length; i += Marshal.SizeOf<T>()) Array.Reverse(bytes, i, Marshal.SizeOf<T>());
        return bytes;
    }

    /// <summary>A file made by hand: 8-byte length, the header text exactly as given, then <paramref name="dataLength"/> zero bytes.</summary>
    static byte[] Build(string header, int dataLength = 0, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? json.Length));
        json.CopyTo(bytes, 8);
        return bytes;
    }

    static (string, string, int[], ReadOnlyMemory<byte>)[] Sample() =>
    [
        ("weight", "F32", [2, 3], Bytes(1f, -2f, 3.5f, float.NaN, float.PositiveInfinity, -0f)),
        ("ids", "I64", [4], Bytes(0L, -1L, long.MaxValue, 42L)),
        ("mask", "BOOL", [1, 3], Bytes<byte>(1, 0, 1)),
        ("half", "F16", [2], Bytes<ushort>(0x3C00, 0xC000)),
        ("scalar", "F64", [], Bytes(Math.PI)),
        ("empty", "F32", [0, 3], ReadOnlyMemory<byte>.Empty),
    ];

    /// <summary>Reads the same bytes through the path, memory-mapped, seekable-stream, non-seekable-stream and buffer
    /// entry points, which must all fail the same way; returns the path reader's exception, which must name the file.</summary>
    SafeTensorsFormatException AssertRejected(byte[] bytes, string expectedFragment, string? tensor = null)
    {
        var path = Path.Combine(_dir, "hostile.safetensors");
        File.WriteAllBytes(path, bytes);
        var fromPath = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(path));
        var mapped = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.ReadMapped(path));
        Assert.Equal(fromPath.Message, mapped.Message);
        var others = new[]
        {
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Parse(bytes)),
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(new MemoryStream(bytes))),
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(new NonSeekableStream(bytes))),
        };
        Assert.Contains(path, fromPath.Message);
        Assert.Equal(path, fromPath.FilePath);
        foreach (var e in others.Append(fromPath))
        {
            Assert.Contains(expectedFragment, e.Message);
            Assert.Equal(tensor, e.TensorName);
            if (tensor != null) Assert.Contains($"'{tensor}'", e.Message);
        }
        return fromPath;
    }

    [Fact]
    public void RoundTripKeepsDtypesShapesBytesAndMetadata()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };
        SafeTensors.Write(path, Sample(), metadata);

        var file = SafeTensors.Read(path);
        Assert.Equal(path, file.Path);
        Assert.Equal(metadata.OrderBy(kv => kv.Key), file.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(Sample().Length, file.Entries.Count);
        foreach (var (name, dtype, shape, data) in Sample())
        {
            var e = file[name];
            Assert.Equal(name, e.Name);
            Assert.Equal(dtype, e.DType);
            Assert.Equal(shape, e.Shape);
            Assert.Equal(shape.Aggregate(1L, (a, d) => a * d), e.NumEl);
            Assert.Equal(data.ToArray(), e.Data.ToArray());
        }
        Assert.Equal(new[] { 1f, -2f, 3.5f, float.NaN, float.PositiveInfinity, -0f }, file["weight"].ToFloatArray());
        Assert.True(float.IsNegative(file["weight"].ToFloatArray()[5]));
        Assert.Equal(new[] { 0L, -1L, long.MaxValue, 42L }, file["ids"].ToInt64Array());
        Assert.Equal(new[] { true, false, true }, file["mask"].ToBoolArray());
        Assert.Equal(new[] { Math.PI }, file["scalar"].ToDoubleArray());
        Assert.Empty(file["empty"].ToFloatArray());
    }

    [Fact]
    public void AllReadEntryPointsAgree()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, Sample(), new Dictionary<string, string> { ["k"] = "v" });
        var bytes = stream.ToArray();
        var path = Path.Combine(_dir, "same.safetensors");
        File.WriteAllBytes(path, bytes);

        var files = new[] { SafeTensors.Read(path), SafeTensors.Parse(bytes), SafeTensors.Read(new MemoryStream(bytes)), SafeTensors.Read(new NonSeekableStream(bytes)) };
        foreach (var f in files)
        {
            Assert.Equal("v", f.Metadata["k"]);
            Assert.Equal(files[0].Entries.Select(e => e.Name), f.Entries.Select(e => e.Name));
            foreach (var e in files[0].Entries) Assert.Equal(e.Data.ToArray(), f[e.Name].Data.ToArray());
        }
    }

    [Fact]
    public void EntriesComeInDataOffsetOrder()
    {
        // Header order (z, a, m) differs from data order (m, a, z).
        var bytes = Build("""{"z":{"dtype":"U8","shape":[1],"data_offsets":[3,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},"m":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 4);
        bytes[^4] = 10; bytes[^3] = 20; bytes[^2] = 21; bytes[^1] = 30;
        var file = SafeTensors.Parse(bytes);
        Assert.Equal(new[] { "m", "a", "z" }, file.Entries.Select(e => e.Name));
        Assert.Equal(new long[] { 20, 21 }, file["a"].ToInt64Array());
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void WriterIsDeterministicSortedAndPadsHeaderToEightBytes()
    {
        var meta = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" };
        var one = new MemoryStream();
        var two = new MemoryStream();
        SafeTensors.Write(one, Sample(), meta);
        SafeTensors.Write(two, Sample().Reverse(), meta.Reverse().ToDictionary());
        var bytes = one.ToArray();
        Assert.Equal(bytes, two.ToArray());

        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("""{"__metadata__":{"a":"1","b":"2"},"empty":{"data_offsets":[""", header);
        Assert.True(header.TrimEnd(' ').EndsWith('}'));
        // Keys in ordinal order, and each tensor starts at a multiple of its element size.
        int Pos(string key) => header.IndexOf($"\"{key}\":{{", StringComparison.Ordinal);
        Assert.True(Pos("empty") < Pos("half") && Pos("half") < Pos("ids") && Pos("ids") < Pos("mask") && Pos("mask") < Pos("scalar") && Pos("scalar") < Pos("weight"));
        foreach (var e in SafeTensors.Parse(bytes).Entries)
        {
            Assert.True(MemoryMarshal.TryGetArray(e.Data, out var slice));
            Assert.Equal(0, slice.Offset % SafeTensors.ElementSize(e.DType));
        }
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        var path = Path.Combine(_dir, "out.safetensors");
        File.WriteAllText(path, "old contents");
        SafeTensors.Write(path, Sample(), null);
        Assert.Equal(6, SafeTensors.Read(path).Entries.Count);
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void FailedWriteLeavesTheOldFileAndNoTemporaryFiles()
    {
        var path = Path.Combine(_dir, "keep.safetensors");
        SafeTensors.Write(path, Sample(), null);
        var before = File.ReadAllBytes(path);
        static IEnumerable<(string, string, int[], ReadOnlyMemory<byte>)> Failing()
        {
            yield return ("a", "F32", [1], Bytes(1f));
            throw new IOException("source failed");
        }
        Assert.Throws<IOException>(() => SafeTensors.Write(path, Failing(), null));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void WriteRejectsInconsistentTensors()
    {
        var s = new MemoryStream();
        Assert.Contains("needs 12", Assert.Throws<ArgumentException>(() => SafeTensors.Write(s, [("w", "F32", [3], Bytes(1f, 2f))], null)).Message);
        Assert.Contains("unknown dtype", Assert.Throws<ArgumentException>(() => SafeTensors.Write(s, [("w", "F31", [1], Bytes(1f))], null)).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => SafeTensors.Write(s, [("w", "F32", [-1], ReadOnlyMemory<byte>.Empty)], null)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => SafeTensors.Write(s, [("w", "U8", [1], Bytes<byte>(1)), ("w", "U8", [1], Bytes<byte>(1))], null)).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => SafeTensors.Write(s, [("__metadata__", "U8", [1], Bytes<byte>(1))], null)).Message);
        Assert.Equal(0, s.Length);
    }

    [Fact]
    public void HalfPrecisionWidensToHandComputedValues()
    {
        // IEEE binary16: sign 1, exponent 5 (bias 15), mantissa 10.
        ushort[] bits = [0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0400, 0x0001, 0x8000, 0x7C00, 0xFC00, 0x7E00];
        float[] expected = [1f, -2f, 0.333251953125f, 65504f, 6.103515625e-05f /* 2^-14 */, 5.9604644775390625e-08f /* 2^-24 */,
                            -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        var file = SafeTensors.Parse(Write([("h", "F16", [bits.Length], Bytes(bits))]));
        var floats = file["h"].ToFloatArray();
        Assert.Equal(expected, floats);
        Assert.True(float.IsNegative(floats[6]));
        Assert.Equal(expected.Select(f => (double)f), file["h"].ToDoubleArray());
    }

    [Fact]
    public void BFloat16WidensToHandComputedValues()
    {
        // bfloat16 is the top 16 bits of a float32: sign 1, exponent 8 (bias 127), mantissa 7.
        ushort[] bits = [0x3F80, 0xC040, 0x4049, 0x3E80, 0x7F7F, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7FC0];
        float[] expected = [1f, -3f, 3.140625f, 0.25f, 3.3895313892515355e38f /* (2 - 2^-7) * 2^127 */, 9.183549615799121e-41f /* 2^-133 */,
                            -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN];
        var file = SafeTensors.Parse(Write([("b", "BF16", [bits.Length], Bytes(bits))]));
        var floats = file["b"].ToFloatArray();
        Assert.Equal(expected, floats);
        Assert.True(float.IsNegative(floats[6]));
        Assert.Equal(expected.Select(f => (double)f), file["b"].ToDoubleArray());
    }

    [Fact]
    public void ConvertersWidenNarrowerTypes()
    {
        var file = SafeTensors.Parse(Write([
            ("d", "F64", [3], Bytes(0.1, -1e300, 2.5)),
            ("i32", "I32", [3], Bytes(-7, int.MaxValue, int.MinValue)),
            ("u8", "U8", [3], Bytes<byte>(0, 2, 255)),
            ("f", "F32", [2], Bytes(0.1f, -3f)),
        ]));
        Assert.Equal(new[] { 0.1f, float.NegativeInfinity, 2.5f }, file["d"].ToFloatArray());
        Assert.Equal(new[] { 0.1, -1e300, 2.5 }, file["d"].ToDoubleArray());
        Assert.Equal(new long[] { -7, int.MaxValue, int.MinValue }, file["i32"].ToInt64Array());
        Assert.Equal(new[] { false, true, true }, file["u8"].ToBoolArray());
        Assert.Equal(new long[] { 0, 2, 255 }, file["u8"].ToInt64Array());
        Assert.Equal(new[] { (double)0.1f, -3.0 }, file["f"].ToDoubleArray());
    }

    [Fact]
    public void ConverterForTheWrongDtypeNamesTensorAndDtype()
    {
        var file = SafeTensors.Parse(Write([("ids", "I64", [1], Bytes(1L)), ("w", "F32", [1], Bytes(1f))]));
        Assert.Contains("'ids' has dtype I64", Assert.Throws<NotSupportedException>(() => file["ids"].ToFloatArray()).Message);
        Assert.Contains("'w' has dtype F32", Assert.Throws<NotSupportedException>(() => file["w"].ToInt64Array()).Message);
        Assert.Throws<NotSupportedException>(() => file["w"].ToBoolArray());
    }

    [Fact]
    public void MissingTensorLookup()
    {
        var file = SafeTensors.Parse(Write([("w", "F32", [1], Bytes(1f))]));
        Assert.False(file.TryGet("nope", out _));
        Assert.True(file.TryGet("w", out var w));
        Assert.Equal("w", w.Name);
        Assert.Contains("'nope'", Assert.Throws<KeyNotFoundException>(() => file["nope"]).Message);
    }

    [Fact]
    public void ZeroLengthTensorsMayShareAnOffset()
    {
        var file = SafeTensors.Parse(Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"e2":{"dtype":"I64","shape":[2,0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8));
        Assert.Equal(new[] { "a", "e1", "e2", "b" }, file.Entries.Select(e => e.Name));
    }

    [Fact]
    public void HeaderMayBePaddedWithSpaces() =>
        Assert.Single(SafeTensors.Parse(Build("""{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}     """, 1)).Entries);

    [Fact]
    public void RejectsEmptyFile() => AssertRejected([], "shorter than the 8-byte header length");

    [Fact]
    public void RejectsFileShorterThanEightBytes() => AssertRejected([2, 0, 0, 0, 0, 0, 0], "7 bytes, shorter than the 8-byte header length");

    [Fact]
    public void RejectsHeaderLengthBeyondTheFile() => AssertRejected(Build("{}", declaredLength: 3), "header length 3 runs past the end of the file (10 bytes)");

    /// <summary>A file cut off inside its JSON header: the declared header length now runs past the end.</summary>
    [Fact]
    public void RejectsFileTruncatedInsideTheHeader()
    {
        var whole = Write(Sample());
        AssertRejected(whole[..40], "runs past the end of the file (40 bytes)");
    }

    /// <summary>A file cut off inside its data: the header is intact, the last tensor's offsets run past the end.</summary>
    [Fact]
    public void RejectsFileTruncatedInsideTheData()
    {
        var whole = Write(Sample());
        var e = AssertRejected(whole[..^3], "run past the end of the data section", "mask");
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void RejectsHeaderLengthWithTopBitSet() => AssertRejected(Build("{}", declaredLength: long.MinValue), "above the 100000000-byte limit");

    [Fact]
    public void RejectsHeaderAboveOneHundredMegabytes() => AssertRejected(Build("{}", declaredLength: 100_000_001), "header length 100000001 is above the 100000000-byte limit");

    [Fact]
    public void RejectsEmptyHeader() => AssertRejected(Build(""), "not valid JSON");

    [Fact]
    public void RejectsInvalidJson() => AssertRejected(Build("""{"a": {"dtype": "F32",}"""), "not valid JSON");

    [Fact]
    public void RejectsTrailingGarbageAfterTheJson() => AssertRejected(Build("{} x"), "not valid JSON");

    [Fact]
    public void RejectsInvalidUtf8()
    {
        var bytes = Build("""{"a?":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 1);
        bytes[8 + 3] = 0xFF;
        AssertRejected(bytes, "not valid UTF-8");
    }

    [Fact]
    public void RejectsHeaderThatIsNotAnObject() => AssertRejected(Build("[1, 2]"), "must be a JSON object, not an array");

    [Fact]
    public void RejectsTensorEntryThatIsNotAnObject() => AssertRejected(Build("""{"w": 5}"""), "must be an object, not a number", "w");

    [Fact]
    public void RejectsMissingDtype() => AssertRejected(Build("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", 4), "'dtype' is missing", "w");

    [Fact]
    public void RejectsUnknownDtype() => AssertRejected(Build("""{"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}""", 4), "unknown dtype 'F31'", "w");

    [Fact]
    public void RejectsNegativeDimension() => AssertRejected(Build("""{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}}"""), "shape [2,-1] has a negative dimension", "w");

    [Fact]
    public void RejectsFractionalDimension() => AssertRejected(Build("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", 8), "non-integer", "w");

    [Fact]
    public void RejectsDimensionAboveIntMax() => AssertRejected(Build("""{"w":{"dtype":"U8","shape":[4294967296],"data_offsets":[0,0]}}"""), "dimension above", "w");

    [Fact]
    public void RejectsElementCountThatOverflows() =>
        AssertRejected(Build("""{"w":{"dtype":"F64","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,0]}}"""), "more elements than a file can hold", "w");

    [Fact]
    public void RejectsByteSizeNotMatchingShape() =>
        AssertRejected(Build("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", 24), "span 20 bytes but F32 shape [2,3] needs 6 x 4 = 24", "w");

    [Fact]
    public void RejectsOffsetsPastTheData() =>
        AssertRejected(Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 8), "run past the end of the data section (8 bytes)", "w");

    [Fact]
    public void RejectsHugeOffsets() =>
        AssertRejected(Build("""{"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}}""", 8), "must be two integers", "w");

    [Fact]
    public void RejectsReversedOffsets() => AssertRejected(Build("""{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}""", 8), "0 <= begin <= end", "w");

    [Fact]
    public void RejectsNegativeOffsets() => AssertRejected(Build("""{"w":{"dtype":"U8","shape":[4],"data_offsets":[-4,0]}}""", 8), "0 <= begin <= end", "w");

    [Fact]
    public void RejectsMalformedOffsets() => AssertRejected(Build("""{"w":{"dtype":"U8","shape":[4],"data_offsets":[4]}}""", 8), "'data_offsets' must be an array [begin, end]", "w");

    [Fact]
    public void RejectsOverlappingOffsets() =>
        AssertRejected(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12),
                       "data_offsets [4, 12] overlap those of tensor 'a' [0, 8]", "b");

    [Fact]
    public void RejectsZeroLengthTensorInsideAnother() =>
        AssertRejected(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}""", 8), "overlap", "b");

    [Fact]
    public void RejectsDuplicateTensorNames() =>
        AssertRejected(Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2), "appears more than once", "a");

    [Fact]
    public void RejectsBytesBetweenTensorsThatNoTensorOwns() =>
        AssertRejected(Build("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}""", 6),
                       "data_offsets [4, 6] leave bytes 2..4 of the data section belonging to no tensor", "b");

    [Fact]
    public void RejectsDataAfterTheLastTensor() =>
        AssertRejected(Build("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 5),
                       "the tensors cover 2 bytes of the 5-byte data section; the 3 bytes from offset 2 belong to no tensor");

    [Fact]
    public void RejectsHeaderLengthTenInATinyFile() => AssertRejected(Build("{}", declaredLength: 10), "header length 10 runs past the end of the file (10 bytes)");

    [Fact]
    public void RejectsFractionalOffsets() =>
        AssertRejected(Build("""{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2.0]}}""", 2), "must be two integers", "w");

    [Fact]
    public void RejectsAStringDtypeFromAnotherLibrary() =>
        AssertRejected(Build("""{"w":{"dtype":"float32","shape":[1],"data_offsets":[0,4]}}""", 4), "unknown dtype 'float32'", "w");

    [Fact]
    public void RejectsAnUnpairedSurrogateEscape() =>
        AssertRejected(Build("""{"__metadata__":{"k":"\ud800"}}"""), "the header holds a string that is not valid Unicode");

    [Fact]
    public void TheFormatErrorIsAFormatException()
    {
        var e = AssertRejected(Build("[]"), "must be a JSON object");
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void RejectsNonStringMetadataValue() =>
        AssertRejected(Build("""{"__metadata__":{"ok":"yes","epoch":3}}"""), "__metadata__ value for key 'epoch' is a number; metadata values must be strings");

    [Fact]
    public void RejectsMetadataThatIsNotAnObject() => AssertRejected(Build("""{"__metadata__":["a"]}"""), "__metadata__ must be an object of strings");

    /// <summary>Every truncation of a valid file, and random corruptions of its header, fail with the format exception
    /// (or still parse) — never an index, argument or overflow exception.</summary>
    [Fact]
    public void TruncatedOrCorruptedFilesOnlyEverThrowTheFormatException()
    {
        var valid = Write(Sample(), new Dictionary<string, string> { ["k"] = "v" });
        for (int length = 0; length < valid.Length; length++)
        {
            var cut = valid.AsSpan(0, length).ToArray();
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Parse(cut));
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(new MemoryStream(cut)));
        }

        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var random = new Random(1234);
        byte[] interesting = "0123456789-[]{},:\"e. "u8.ToArray();
        for (int trial = 0; trial < 3000; trial++)
        {
            var bytes = (byte[])valid.Clone();
            for (int k = random.Next(1, 4); k > 0; k--)
            {
                int at = random.Next(0, 8 + (int)headerLength);
                bytes[at] = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : (byte)random.Next(256);
            }
            foreach (var read in new Func<SafeTensorsFile>[] { () => SafeTensors.Parse(bytes), () => SafeTensors.Read(new MemoryStream(bytes)) })
            {
                try { read(); }
                catch (SafeTensorsFormatException) { }
            }
        }
    }

    /// <summary>The C# writer and tests/conformance/generate.py follow the same rules, so re-writing a PyTorch
    /// fixture reproduces it byte for byte.</summary>
    [Fact]
    public void RewritingAConformanceFixtureReproducesItExactly()
    {
        var fixtures = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures"), "*.safetensors", SearchOption.AllDirectories);
        Assert.NotEmpty(fixtures);
        foreach (var path in fixtures)
        {
            var file = SafeTensors.Read(path);
            var copy = Write(file.Entries.Select(e => (e.Name, e.DType, e.Shape, e.Data)), file.Metadata);
            Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(copy), $"{Path.GetFileName(path)} differs after a rewrite");
        }
    }

    static byte[] Write(IEnumerable<(string, string, int[], ReadOnlyMemory<byte>)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var s = new MemoryStream();
        SafeTensors.Write(s, tensors, metadata);
        return s.ToArray();
    }

    /// <summary>A stream that cannot seek or report its length, like a network or pipe stream.</summary>
    sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 5));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
