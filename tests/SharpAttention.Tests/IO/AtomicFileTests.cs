using SharpAttention.IO;
using SharpAttention.Tests.Support;
using SharpAttention.Training;

namespace SharpAttention.Tests.IO;

/// <summary>Saves that a kill cannot tear, the clean-up of what a killed save leaves, and the small files a run
/// folder keeps about itself (trainer state, metrics rows).</summary>
public class AtomicFileTests
{
    [Fact]
    public void WriteWithAPreviousPathKeepsTheReplacedContentThere()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "a.txt"), previous = Path.Combine(dir.Path, "a.previous.txt");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two", previous);
        AtomicFile.WriteAllText(path, "three", previous);
        Assert.Equal("three", File.ReadAllText(path));
        Assert.Equal("two", File.ReadAllText(previous));
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length);
    }

    [Fact]
    public void AFailingWriterLeavesTheOldContentAndNoTemporaryFile()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "a.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new IOException("disk full (simulated)");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void RemoveStaleDeletesOnlyTemporaryFilesOfThatFolder()
    {
        using var dir = new TempDir();
        var sub = Directory.CreateDirectory(Path.Combine(dir.Path, "sub")).FullName;
        foreach (var f in new[] { "b.safetensors.12345678.tmp", "a.json.tmp", "keep.json", "tmp" }) File.WriteAllText(Path.Combine(dir.Path, f), "");
        File.WriteAllText(Path.Combine(sub, "deeper.tmp"), "");
        Assert.Equal(["a.json.tmp", "b.safetensors.12345678.tmp"], AtomicFile.RemoveStale(dir.Path));
        Assert.Equal(["keep.json", "tmp"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(sub, "deeper.tmp")));
        Assert.Empty(AtomicFile.RemoveStale(Path.Combine(dir.Path, "absent")));
    }

    [Fact]
    public void TrainerStateRoundTripsAndAMalformedOneNamesItsFile()
    {
        using var dir = new TempDir();
        Assert.Null(TrainerState.Load(dir.Path));
        new TrainerState(false, 0, 120).Save(dir.Path);
        Assert.Equal(new TrainerState(false, 0, 120), TrainerState.Load(dir.Path));
        new TrainerState(true, 120, 120).Save(dir.Path);
        Assert.Equal(new TrainerState(true, 120, 120), TrainerState.Load(dir.Path));
        var path = Path.Combine(dir.Path, TrainerState.FileName);
        foreach (var bad in new[] { "", "[]", "{\"finished\": \"yes\", \"global_step\": 1, \"max_steps\": 1}", "{\"finished\": true, \"global_step\": -1, \"max_steps\": 1}" })
        {
            File.WriteAllText(path, bad);
            Assert.Contains($"'{path}' is not a trainer state", Assert.Throws<InvalidDataException>(() => TrainerState.Load(dir.Path)).Message);
        }
    }

    [Fact]
    public void MetricsRowsSkipTornLinesWithAWarningNamingTheLine()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "m.jsonl");
        File.WriteAllText(path, "{\"kind\":\"step\",\"step\":1}\n[1]\n\n{\"kind\":\"step\",\"step\":2}\n{\"kind\":\"st");
        var warnings = new List<string>();
        var rows = MetricsRows.ReadJsonLines(path, warnings.Add);
        Assert.Equal([1L, 2L], rows.Select(r => MetricsRows.Step(r.Row)!.Value));
        Assert.Equal([$"{path}: line 2 is not a complete JSON object (a write cut short by a kill?); skipped",
                      $"{path}: line 5 is not a complete JSON object (a write cut short by a kill?); skipped"], warnings);
        Assert.Empty(MetricsRows.ReadJsonLines(Path.Combine(dir.Path, "absent.jsonl")));
    }
}
