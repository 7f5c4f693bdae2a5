using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.IO;

/// <summary>Memory-mapped reading, and saving / loading a module's state dict as safetensors.</summary>
public sealed class SafeTensorsMappedTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sharpattention-mapped-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static Dictionary<string, Tensor> SampleTensors() => new()
    {
        ["w"] = Tensor.Randn([3, 5], new Generator(1)),
        ["b"] = Tensor.FromArray([1.5, -2.0], 2),
        ["ids"] = Tensor.FromArray([3L, -4L, 5L], 3),
        ["m"] = Tensor.FromArray([true, false], 2),
        ["empty"] = Tensor.Zeros(0, 4),
        ["s"] = Tensor.Scalar(7),
    };

    [Fact]
    public void MappedReadingGivesTheSameEntriesAndMetadataAsReading()
    {
        var path = Path.Combine(_dir, "a.safetensors");
        SafeTensorsTensor.Save(path, SampleTensors(), new Dictionary<string, string> { ["k"] = "v" });
        var plain = SafeTensors.Read(path);
        using var mapped = SafeTensors.ReadMapped(path);
        Assert.Equal(path, mapped.Path);
        Assert.Equal("v", mapped.Metadata["k"]);
        Assert.Equal(plain.Entries.Select(e => e.Name), mapped.Entries.Select(e => e.Name));
        foreach (var e in plain.Entries)
        {
            var m = mapped[e.Name];
            Assert.Equal(e.DType, m.DType);
            Assert.Equal(e.Shape, m.Shape);
            Assert.Equal(e.Data.ToArray(), m.Data.ToArray());
        }
        Assert.Equal(SampleTensors()["w"].ToArray(), mapped["w"].ToTensor().ToArray());
    }

    [Fact]
    public void DataOfADisposedMappedFileThrowsInsteadOfReadingUnmappedMemory()
    {
        var path = Path.Combine(_dir, "b.safetensors");
        SafeTensorsTensor.Save(path, SampleTensors());
        var file = SafeTensors.ReadMapped(path);
        var entry = file["w"];
        Assert.Equal(60, entry.Data.Length);
        file.Dispose();
        file.Dispose();   // idempotent
        Assert.Throws<ObjectDisposedException>(() => entry.ToFloatArray());
        Assert.Throws<ObjectDisposedException>(() => entry.Data.ToArray());
        File.Delete(path);   // the mapping no longer holds the file
    }

    [Fact]
    public void MappedReadingOfAMissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensors.ReadMapped(Path.Combine(_dir, "nope.safetensors")));

    [Fact]
    public void MappedReadingSurvivesEveryTruncation()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, SampleTensors().Select(kv => SafeTensorsTensor.ToRecord(kv.Key, kv.Value)));
        var valid = stream.ToArray();
        var path = Path.Combine(_dir, "cut.safetensors");
        for (int length = 0; length < valid.Length; length++)
        {
            File.WriteAllBytes(path, valid[..length]);
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.ReadMapped(path));
        }
    }

    static TransformerEncoder Encoder(ulong seed) =>
        new(_ => new TransformerEncoderLayer(16, 2, 32, dropout: 0, generator: new Generator(seed)), 2, new LayerNorm(16));

    [Fact]
    public void ModuleSavedAndLoadedHasTheSameStateUnderTorchKeys()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        var a = Encoder(1);
        a.SaveSafetensors(path, new Dictionary<string, string> { ["note"] = "x" });
        var file = SafeTensors.Read(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("x", file.Metadata["note"]);
        Assert.Equal(a.StateDict().Keys.Order(StringComparer.Ordinal), file.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("layers.1.self_attn.in_proj_weight", a.StateDict().Keys);

        var b = Encoder(2);
        var before = b.Layers[0].Linear1!.Weight;
        var (result, metadata) = b.LoadSafetensors(path);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal("x", metadata["note"]);
        Assert.Same(before, b.Layers[0].Linear1!.Weight);   // loaded in place
        foreach (var (key, t) in a.StateDict()) Assert.Equal(t.ToArray(), b.StateDict()[key].ToArray());
    }

    [Fact]
    public void StrictLoadReportsEveryProblemAtOnceAndChangesNothing()
    {
        var path = Path.Combine(_dir, "wrong.safetensors");
        var sd = Encoder(1).StateDict();
        sd.Remove("norm.bias");
        sd["layers.0.linear1.weight"] = Tensor.Zeros(3, 3);
        sd["extra"] = Tensor.Zeros(1);
        SafeTensorsTensor.Save(path, sd);

        var m = Encoder(2);
        var snapshot = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var e = Assert.Throws<StateDictException>(() => m.LoadSafetensors(path));
        Assert.Equal(["norm.bias"], e.MissingKeys);
        Assert.Equal(["extra"], e.UnexpectedKeys);
        Assert.Contains("size mismatch for layers.0.linear1.weight", Assert.Single(e.SizeMismatches));
        foreach (var (key, t) in m.StateDict()) Assert.Equal(snapshot[key], t.ToArray());
    }

    [Fact]
    public void NonStrictLoadReturnsWhatItSkipped()
    {
        var path = Path.Combine(_dir, "partial.safetensors");
        var sd = Encoder(1).StateDict();
        sd.Remove("norm.weight");
        sd["unused"] = Tensor.Ones(2);
        SafeTensorsTensor.Save(path, sd);
        var (result, _) = Encoder(2).LoadSafetensors(path, strict: false);
        Assert.Equal(["norm.weight"], result.MissingKeys);
        Assert.Equal(["unused"], result.UnexpectedKeys);
    }

    [Fact]
    public void HalfPrecisionCheckpointLoadsIntoFloatParameters()
    {
        var path = Path.Combine(_dir, "half.safetensors");
        var lin = new Linear(2, 1);
        // 1.5 and −0.25 and 3 are exact in F16 and BF16.
        SafeTensors.Write(path, [("weight", "F16", [1, 2], (byte[])[0x00, 0x3E, 0x00, 0xB4]), ("bias", "BF16", [1], (byte[])[0x40, 0x40])]);
        lin.LoadSafetensors(path);
        Assert.Equal(new[] { 1.5f, -0.25f }, lin.Weight.ToArray());
        Assert.Equal(new[] { 3f }, lin.Bias!.ToArray());
    }
}
