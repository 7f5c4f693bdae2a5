using SharpAttention.Tests.Support;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.Tests.Kernels;

namespace SharpAttention.Tests.Cli;

/// <summary>A tiny run trained once; each test works on a copy of its folder.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("attn-cli-files").FullName;
    public string Dictionary { get; }
    public string Run { get; }

    public TrainedRunFixture()
    {
        Dictionary = CliSmokeTests.WriteDictionary(Root);
        Run = Path.Combine(Root, "run");
        var train = CliSmokeTests.Run("train", "g2p", "--preset", "tiny", "--data", Dictionary, "--out", Run, "--max-steps", "6", "--threads", "1");
        if (train.Code != 0) throw new InvalidOperationException(train.Error + train.Output);
    }

    /// <summary>A fresh copy of the trained folder (checkpoints included).</summary>
    public string Copy()
    {
        var target = Path.Combine(Root, Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.GetFiles(Run, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Run, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>
/// What a user's bad or damaged files do to `attn`: a malformed or non-finite model.safetensors is one line naming the
/// file and exit code 1 for predict, eval and attend; a hostile last checkpoint falls back to an older one or is one
/// line naming every checkpoint; a torn metrics.jsonl or a failing plot costs a warning, never results.json; an
/// unfinished folder is used with a one-line warning.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public class CliFileErrorTests(TrainedRunFixture trained) : IClassFixture<TrainedRunFixture>
{
    static byte[] WithHeader(byte[] file, Func<string, string> edit)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(file, 8, n)));
        var result = new byte[8 + header.Length + file.Length - 8 - n];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)header.Length);
        header.CopyTo(result, 8);
        file.AsSpan(8 + n).CopyTo(result.AsSpan(8 + header.Length));
        return result;
    }

    static byte[] WithPrefix(byte[] file, ulong n)
    {
        var copy = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy, n);
        return copy;
    }

    /// <summary>The weights with one element of one tensor set to <paramref name="value"/>, written as a valid file.</summary>
    static byte[] WithWeight(string path, float value)
    {
        var file = SafeTensors.Read(path);
        var target = file.Entries.First(e => e.DType == "F32" && e.NumEl > 3);
        var stream = new MemoryStream();
        SafeTensors.Write(stream, file.Entries.Select(e =>
        {
            var data = e.Data.ToArray();
            if (e == target) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(12), value);
            return (e.Name, e.DType, e.Shape, (ReadOnlyMemory<byte>)data);
        }), file.Metadata);
        return stream.ToArray();
    }

    public static TheoryData<string> Damages =>
        ["truncated to 7 bytes", "truncated inside the header", "truncated inside the data", "header length 0", "header length 10",
         "header length 2^63", "header past the end", "header not JSON", "header a JSON array", "header not UTF-8",
         "offsets past the end", "overlapping offsets", "negative offset", "fractional offset", "unknown dtype", "U16 dtype",
         "NaN weight", "infinite weight"];

    static byte[] Damage(string how, string path)
    {
        var valid = File.ReadAllBytes(path);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        string FirstOffsets(string h, Func<long, long, string> replace) =>
            new System.Text.RegularExpressions.Regex("\"data_offsets\":\\[(\\d+),(\\d+)\\]").Replace(h,
                m => $"\"data_offsets\":{replace(long.Parse(m.Groups[1].Value), long.Parse(m.Groups[2].Value))}", 1);
        return how switch
        {
            "truncated to 7 bytes" => valid[..7],
            "truncated inside the header" => valid[..(8 + headerLength / 2)],
            "truncated inside the data" => valid[..^5],
            "header length 0" => WithPrefix(valid, 0),
            "header length 10" => WithPrefix(valid, 10),
            "header length 2^63" => WithPrefix(valid, 1UL << 63),
            "header past the end" => WithPrefix(valid, (ulong)valid.Length),
            "header not JSON" => WithHeader(valid, h => "not json" + h),
            "header a JSON array" => WithHeader(valid, _ => "[1,2,3]"),
            "header not UTF-8" => WithPrefix([.. valid[..8], 0xC3, 0x28, .. valid[10..]], (ulong)headerLength),
            "offsets past the end" => WithHeader(valid, h => FirstOffsets(h, (b, e) => $"[{b + 100000},{e + 100000}]")),
            "overlapping offsets" => WithHeader(valid, h => FirstOffsets(h, (b, e) => b == 0 ? $"[4,{e + 4}]" : $"[{b - 4},{e - 4}]")),
            "negative offset" => WithHeader(valid, h => FirstOffsets(h, (b, e) => $"[-4,{e}]")),
            "fractional offset" => WithHeader(valid, h => FirstOffsets(h, (b, e) => $"[{b}.5,{e}]")),
            "unknown dtype" => WithHeader(valid, h => h.Replace("\"dtype\":\"F32\"", "\"dtype\":\"F31\"")),
            "U16 dtype" => WithHeader(valid, h => h.Replace("\"dtype\":\"F32\"", "\"dtype\":\"U16\"")),
            "NaN weight" => WithWeight(path, float.NaN),
            "infinite weight" => WithWeight(path, float.NegativeInfinity),
            _ => throw new ArgumentException(how),
        };
    }

    static void AssertOneLineNaming((int Code, string Output, string Error) result, string file)
    {
        Assert.True(result.Code == 1, $"exit {result.Code}: {result.Error}{result.Output}");
        var error = result.Error.TrimEnd();
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("attn: error: ", error);
        Assert.Contains(file, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void ADamagedModelFileIsOneLineNamingItForPredictEvalAndAttend(string how)
    {
        var run = trained.Copy();
        var weights = Path.Combine(run, "model.safetensors");
        File.WriteAllBytes(weights, Damage(how, weights));
        AssertOneLineNaming(CliSmokeTests.Run("predict", "--model", run, "bad"), weights);
        AssertOneLineNaming(CliSmokeTests.Run("eval", "g2p", "--model", run, "--data", trained.Dictionary), weights);
        AssertOneLineNaming(CliSmokeTests.Run("attend", "--model", run, "--out", Path.Combine(run, "map.png"), "bad"), weights);
    }

    [Fact]
    public void ANonFiniteWeightIsNamedWithItsTensorAndElement()
    {
        var run = trained.Copy();
        var weights = Path.Combine(run, "model.safetensors");
        File.WriteAllBytes(weights, Damage("NaN weight", weights));
        var error = CliSmokeTests.Run("predict", "--model", run, "bad").Error;
        Assert.Matches(@"tensor '[a-z_.0-9]+': element 3 of \d+ is NaN; weights must be finite", error);
    }

    static long[] StepRows(string run) =>
        [.. File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(r => r.GetProperty("kind").GetString() == "step").Select(r => r.GetProperty("step").GetInt64())];

    [Fact]
    public void AHostileLastCheckpointFallsBackToTheBestAndSaysWhy()
    {
        var run = trained.Copy();
        var last = Path.Combine(run, "checkpoints", "last.safetensors");
        File.WriteAllBytes(last, WithPrefix(File.ReadAllBytes(last), 1UL << 63));
        var resumed = CliSmokeTests.Run("train", "g2p", "--data", trained.Dictionary, "--out", run, "--resume", "--max-steps", "9", "--threads", "1");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Contains($"not resuming from last.safetensors: safetensors file '{last}': header length 9223372036854775808 is above", resumed.Output);
        Assert.Contains($"resuming from {Path.Combine(run, "checkpoints", "best.safetensors")} (step 6)", resumed.Output);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], StepRows(run));
        Assert.True(File.Exists(Path.Combine(run, "results.json")));
    }

    [Fact]
    public void WhenNoCheckpointIsReadableResumeIsOneLineNamingEach()
    {
        var run = trained.Copy();
        var checkpoints = Path.Combine(run, "checkpoints");
        File.WriteAllBytes(Path.Combine(checkpoints, "last.safetensors"), []);
        var best = Path.Combine(checkpoints, "best.safetensors");
        File.WriteAllBytes(best, File.ReadAllBytes(best)[..1000]);
        var resumed = CliSmokeTests.Run("train", "g2p", "--data", trained.Dictionary, "--out", run, "--resume", "--max-steps", "9");
        AssertOneLineNaming(resumed, Path.Combine(checkpoints, "last.safetensors"));
        Assert.Contains("shorter than the 8-byte header length", resumed.Error);
        Assert.Contains("previous.safetensors: missing", resumed.Error);
        Assert.Contains($"best.safetensors: safetensors file '{best}'", resumed.Error);
        // A resume that never started leaves the folder's finished model marked finished.
        Assert.True(JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "trainer_state.json"))).RootElement.GetProperty("finished").GetBoolean());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"<pad>\": 0, \"<bos>\": 1, \"AA\": 2}")]
    public void AnEmptyOrCorruptVocabularyOnResumeIsOneLineNamingIt(string contents)
    {
        var run = trained.Copy();
        var phonemes = Path.Combine(run, "target_tokenizer", "vocab.json");
        File.WriteAllText(phonemes, contents);
        AssertOneLineNaming(CliSmokeTests.Run("train", "g2p", "--data", trained.Dictionary, "--out", run, "--resume", "--max-steps", "9"), phonemes);
    }

    [Fact]
    public void ATornMetricsLineIsSkippedWithAWarningAndTheRunStillEndsWithResults()
    {
        var run = trained.Copy();
        var metrics = Path.Combine(run, "metrics.jsonl");
        int lines = File.ReadAllLines(metrics).Length;
        File.AppendAllText(metrics, "{\"kind\":\"step\",\"step\":7,\"lo");
        File.Delete(Path.Combine(run, "results.json"));
        File.WriteAllText(Path.Combine(run, "recipe.json.1234abcd.tmp"), "{");
        var resumed = CliSmokeTests.Run("train", "g2p", "--data", trained.Dictionary, "--out", run, "--resume", "--max-steps", "9", "--threads", "1");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Contains($"{metrics}: line {lines + 1} is not a complete JSON object", resumed.Output);
        Assert.Contains($"removed {Path.Combine(run, "recipe.json.1234abcd.tmp")}, left by a save that never finished", resumed.Output);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], StepRows(run));
        Assert.True(File.Exists(Path.Combine(run, "results.json")));
        Assert.True(new FileInfo(Path.Combine(run, "loss.png")).Length > 1000);
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void APlotThatCannotBeWrittenIsAWarningNotAFailure()
    {
        var run = trained.Copy();
        File.Delete(Path.Combine(run, "loss.png"));
        Directory.CreateDirectory(Path.Combine(run, "loss.png"));   // the picture cannot replace a folder
        File.Delete(Path.Combine(run, "results.json"));
        var resumed = CliSmokeTests.Run("train", "g2p", "--data", trained.Dictionary, "--out", run, "--resume", "--max-steps", "7", "--threads", "1");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Contains("warning: could not draw loss.png", resumed.Output);
        Assert.True(File.Exists(Path.Combine(run, "results.json")));
    }

    [Fact]
    public void AnUnfinishedFolderIsUsedWithAOneLineWarning()
    {
        var finished = CliSmokeTests.Run("predict", "--model", trained.Run, "bad");
        Assert.Equal(0, finished.Code);
        Assert.Equal("", finished.Error);

        var run = trained.Copy();
        var state = Path.Combine(run, "trainer_state.json");
        Assert.True(JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("finished").GetBoolean());
        File.WriteAllText(state, "{\"finished\":false,\"global_step\":0,\"max_steps\":6}");   // as a run killed before its end leaves it
        foreach (var result in new[]
        {
            CliSmokeTests.Run("predict", "--model", run, "bad"),
            CliSmokeTests.Run("eval", "g2p", "--model", run, "--data", trained.Dictionary, "--beam", "1"),
            CliSmokeTests.Run("attend", "--model", run, "--out", Path.Combine(run, "map.png"), "bad"),
        })
        {
            Assert.True(result.Code == 0, result.Error);
            var warning = result.Error.TrimEnd();
            Assert.DoesNotContain('\n', warning);
            Assert.StartsWith($"attn: warning: the training run that wrote '{run}' did not finish", warning);
            Assert.EndsWith($"finish it with `attn train g2p --out {run} --resume`", warning);
        }
        Directory.Delete(Path.Combine(run, "checkpoints"), recursive: true);   // killed before its first checkpoint
        Assert.EndsWith($"train it again with `attn train g2p --out {run}`", CliSmokeTests.Run("predict", "--model", run, "bad").Error.TrimEnd());
    }
}
