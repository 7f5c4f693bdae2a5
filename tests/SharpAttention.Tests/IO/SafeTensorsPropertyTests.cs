using System.Buffers.Binary;
using System.Text;
using CsCheck;
using SharpAttention.IO;

namespace SharpAttention.Tests.IO;

/// <summary>
/// Property tests (CsCheck): valid files of every dtype round-trip through every reader, and thousands of mutated
/// files — flipped bytes, truncations, edited header numbers and dtypes, wrong length prefixes, random header JSON —
/// make the readers and the tensor conversion fail only ever with <see cref="SafeTensorsFormatException"/>: never an
/// out-of-range read, an overflow, an allocation failure or another exception. CsCheck prints the seed of any failure.
/// </summary>
public class SafeTensorsPropertyTests
{
    static readonly string[] DTypes =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "I64", "U64", "F64"];

    sealed record Spec(string Name, string DType, int[] Shape, byte[] Data);

    static readonly Gen<Spec> Tensor =
        Gen.Select(Gen.Char['a', 'z'].Array[1, 5], Gen.Int[0, DTypes.Length - 1], Gen.Int[0, 3].Array[0, 3])
           .SelectMany(t => Gen.Byte.Array[t.Item3.Aggregate(1, (a, d) => a * d) * SafeTensors.ElementSize(DTypes[t.Item2])]
                               .Select(data => new Spec(new string(t.Item1), DTypes[t.Item2], t.Item3, data)));

    static readonly Gen<(Spec[] Tensors, Dictionary<string, string> Metadata)> ValidFile =
        Gen.Select(Tensor.Array[0, 5], Gen.Select(Gen.Char['a', 'e'].Array[1, 3], Gen.Char['!', '~'].Array[0, 6]).Array[0, 3])
           .Select((tensors, meta) => (
               tensors.DistinctBy(t => t.Name).ToArray(),
               meta.DistinctBy(kv => new string(kv.Item1)).ToDictionary(kv => new string(kv.Item1), kv => new string(kv.Item2))));

    static byte[] Write(Spec[] tensors, Dictionary<string, string> metadata)
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors.Select(t => (t.Name, t.DType, t.Shape, (ReadOnlyMemory<byte>)t.Data)), metadata);
        return stream.ToArray();
    }

    /// <summary>The header length and text of a file whose prefix is still sound, else null (then edits leave it be).</summary>
    static (long HeaderLength, string Header)? Split(byte[] file)
    {
        if (file.Length < 8) return null;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        return n <= (ulong)(file.Length - 8) ? ((long)n, Encoding.UTF8.GetString(file, 8, (int)n)) : null;
    }

    static byte[] Join(string header, ReadOnlySpan<byte> data, ulong? declared = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes.AsSpan(8 + json.Length));
        return bytes;
    }

    static byte[] DataOf(byte[] file) => file[(8 + (int)Split(file)!.Value.HeaderLength)..];

    // ---- mutations -----------------------------------------------------------------------------------------------

    /// <summary>An index in 0..count-1 from a fraction in [0, 1] (the generator may give 1 itself).</summary>
    static int Pick(double fraction, int count) => Math.Min(count - 1, (int)(fraction * count));

    static readonly string[] Numbers = ["0", "-1", "1", "3", "7", "0.5", "1e3", "-0", "4294967296", "9223372036854775807",
                                        "9223372036854775808", "18446744073709551615", "99999999999999999999999"];

    /// <summary>1–4 bytes anywhere set to random values, most of them in the length prefix and the header.</summary>
    static readonly Gen<Func<byte[], byte[]>> Flip =
        Gen.Select(Gen.Double[0, 1], Gen.Byte, Gen.Bool).Array[1, 4].Select(flips => (Func<byte[], byte[]>)(file =>
        {
            var bytes = (byte[])file.Clone();
            int headerEnd = Split(file) is { } sound ? 8 + (int)sound.HeaderLength : bytes.Length;
            foreach (var (where, value, inHeader) in flips)
                if (bytes.Length > 0) bytes[Pick(where, inHeader ? headerEnd : bytes.Length)] = value;
            return bytes;
        }));

    static readonly Gen<Func<byte[], byte[]>> Truncate =
        Gen.Double[0, 1].Select(f => (Func<byte[], byte[]>)(file => file[..(int)(f * file.Length)]));

    /// <summary>One number of the header (a dimension, an offset) replaced by an awkward one; the prefix is kept right,
    /// so the edit reaches the checks behind the JSON parser.</summary>
    static readonly Gen<Func<byte[], byte[]>> EditNumber =
        Gen.Select(Gen.Double[0, 1], Gen.Int[0, Numbers.Length - 1]).Select((where, pick) => (Func<byte[], byte[]>)(file =>
        {
            if (Split(file) is not { Header: var header }) return file;
            var matches = System.Text.RegularExpressions.Regex.Matches(header, "-?[0-9]+");
            if (matches.Count == 0) return file;
            var m = matches[Pick(where, matches.Count)];
            return Join(header[..m.Index] + Numbers[pick] + header[(m.Index + m.Length)..], DataOf(file));
        }));

    /// <summary>A dtype relabelled to another of the format's dtypes or to an unknown one.</summary>
    static readonly Gen<Func<byte[], byte[]>> Relabel =
        Gen.Select(Gen.Double[0, 1], Gen.OneOf([.. DTypes, "F31", "float32", "", "U128"])).Select((where, to) => (Func<byte[], byte[]>)(file =>
        {
            if (Split(file) is not { Header: var header }) return file;
            var matches = System.Text.RegularExpressions.Regex.Matches(header, "\"dtype\":\"([A-Z0-9_]+)\"");
            if (matches.Count == 0) return file;
            var g = matches[Pick(where, matches.Count)].Groups[1];
            return Join(header[..g.Index] + to + header[(g.Index + g.Length)..], DataOf(file));
        }));

    /// <summary>The length prefix replaced: 0, 10, 2⁶³, all ones, or just off by one either way.</summary>
    static readonly Gen<Func<byte[], byte[]>> Prefix =
        Gen.OneOf(0UL, 10UL, 1UL << 63, ulong.MaxValue, 100_000_001UL, 1UL, 2UL).Select(Gen.Int[-1, 1]).Select((value, delta) =>
            (Func<byte[], byte[]>)(file =>
            {
                if (Split(file) is not { HeaderLength: var length }) return file;
                var bytes = (byte[])file.Clone();
                ulong n = delta == 0 ? value : (ulong)(length + delta);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, n);
                return bytes;
            }));

    /// <summary>Random JSON over the header's own vocabulary — keys like dtype and data_offsets, values of every kind.</summary>
    static readonly Gen<string> Json = Gen.Recursive<string>((depth, json) =>
    {
        var scalar = Gen.OneOf(Gen.OneOf(Numbers), Gen.OneOf([.. DTypes.Select(d => $"\"{d}\""), "\"x\"", "true", "null", "\"\\ud800\""]));
        if (depth > 3) return scalar;
        var key = Gen.OneOf("\"w\"", "\"v\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"\"");
        var array = json.Array[0, 3].Select(items => "[" + string.Join(",", items) + "]");
        var obj = Gen.Select(key, json).Array[0, 4].Select(kvs => "{" + string.Join(",", kvs.Select(kv => kv.Item1 + ":" + kv.Item2)) + "}");
        return Gen.Frequency((2, scalar), (2, array), (3, obj));
    });

    static readonly Gen<byte[]> RandomHeaderFile = Gen.Select(Json, Gen.Byte.Array[0, 24]).Select((json, data) => Join(json, data));

    static readonly string[] Strings = ["", "-1", "3.5", "1e400", "NaN", "99999999999999999999", "abc", "F32", "\\u0000"];

    /// <summary>One string value of the header (a dtype, a metadata value such as a checkpoint's step) replaced.</summary>
    static readonly Gen<Func<byte[], byte[]>> EditString =
        Gen.Select(Gen.Double[0, 1], Gen.Int[0, Strings.Length - 1]).Select((where, pick) => (Func<byte[], byte[]>)(file =>
        {
            if (Split(file) is not { Header: var header }) return file;
            var matches = System.Text.RegularExpressions.Regex.Matches(header, "\":\"([^\"]*)\"");
            if (matches.Count == 0) return file;
            var g = matches[Pick(where, matches.Count)].Groups[1];
            return Join(header[..g.Index] + Strings[pick] + header[(g.Index + g.Length)..], DataOf(file));
        }));

    /// <summary>Any one of the mutations; checkpoint tests apply them to real checkpoints.</summary>
    internal static readonly Gen<Func<byte[], byte[]>> Mutation =
        Gen.Frequency((3, Flip), (2, Truncate), (3, EditNumber), (2, Relabel), (2, Prefix), (3, EditString));

    static readonly Gen<byte[]> Hostile =
        Gen.Frequency(
            (4, Gen.Select(ValidFile, Mutation.Array[1, 3])
                   .Select((valid, mutations) => mutations.Aggregate(Write(valid.Tensors, valid.Metadata), (file, mutate) => mutate(file)))),
            (1, RandomHeaderFile));

    /// <summary>Reads a file every way an entry is consumed; only the format error may escape.</summary>
    static void ReadFully(Func<SafeTensorsFile> read)
    {
        try
        {
            using var file = read();
            foreach (var entry in file.Entries)
            {
                entry.ToTensor();
                WeightChecks.ThrowIfNotFinite(entry);
            }
        }
        catch (SafeTensorsFormatException)
        {
        }
    }

    [Fact]
    public void ValidFilesOfEveryDtypeRoundTrip() =>
        ValidFile.Sample(valid =>
        {
            var bytes = Write(valid.Tensors, valid.Metadata);
            var file = SafeTensors.Parse(bytes);
            Assert.Equal(valid.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), file.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
            foreach (var t in valid.Tensors)
            {
                var e = file[t.Name];
                Assert.Equal(t.DType, e.DType);
                Assert.Equal(t.Shape, e.Shape);
                Assert.Equal(t.Data, e.Data.ToArray());
            }
            Assert.Equal(valid.Metadata.OrderBy(kv => kv.Key), file.Metadata.OrderBy(kv => kv.Key));
        }, iter: 2000);

    [Fact]
    public void MutatedFilesOnlyEverRaiseTheFormatError() =>
        Hostile.Sample(bytes =>
        {
            ReadFully(() => SafeTensors.Parse(bytes));
            ReadFully(() => SafeTensors.Read(new MemoryStream(bytes)));
        }, iter: 10_000);

    /// <summary>The path and memory-mapped readers on real files (fewer: each sample is a file on disk).</summary>
    [Fact]
    public void MutatedFilesOnDiskOnlyEverRaiseTheFormatError()
    {
        var dir = Directory.CreateTempSubdirectory("sa-hostile-").FullName;
        try
        {
            Hostile.Sample(bytes =>
            {
                var path = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".safetensors");
                File.WriteAllBytes(path, bytes);
                ReadFully(() => SafeTensors.Read(path));
                ReadFully(() => SafeTensors.ReadMapped(path));
                File.Delete(path);
            }, iter: 1500);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
