using SharpAttention.Tests.Support;
using System.Diagnostics;
using System.Text.Json;
using SharpAttention.Tests.Kernels;
using Xunit.Abstractions;

namespace SharpAttention.Tests.Cli;

/// <summary>
/// `attn train` in a child process, killed again and again — half-way through a save (a checkpoint, the metrics
/// rewind, the model, recipe, vocabularies, results.json, loss.png) or half-way through a metrics row, at seeded points
/// the SHARPATTENTION_TEST_KILL hook makes exact, and once by a kill -9 from outside — and resumed each time, ends
/// with the bit-identical model of an uninterrupted run, no .tmp file, and one metrics row per step.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public class KillResumeTests(ITestOutputHelper output)
{
    const int MaxSteps = 24;   // two epochs of the 300-word dictionary cut short: saves at step 17 and 24

    static string[] TrainArgs(string dict, string run, bool resume) =>
        ["train", "g2p", "--preset", "tiny", "--data", dict, "--out", run, "--max-steps", MaxSteps.ToString(), "--threads", "1",
         .. resume ? new[] { "--resume" } : []];

    /// <summary>Runs the built tool (attn.dll beside the tests) as a child with the kill hook set, or killed from
    /// outside once <paramref name="killAfterSteps"/> step rows are in metrics.jsonl.</summary>
    static (int Code, string Output) Child(string[] args, string? kill, string run, int? killAfterSteps = null)
    {
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "attn.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        if (kill != null) start.Environment["SHARPATTENTION_TEST_KILL"] = kill;
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        if (killAfterSteps is { } steps)
        {
            var metrics = Path.Combine(run, "metrics.jsonl");
            while (!child.HasExited && StepRowsSoFar(metrics) < steps) Thread.Sleep(20);
            if (!child.HasExited) child.Kill();
        }
        // A guard against a hung child, not a speed requirement: a cycle takes seconds.
        if (!child.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            child.Kill();
            throw new Xunit.Sdk.XunitException($"attn {string.Join(' ', args)} did not finish");
        }
        return (child.ExitCode, output.Result + error.Result);
    }

    static int StepRowsSoFar(string metrics)
    {
        try
        {
            return File.Exists(metrics) ? File.ReadLines(metrics).Count(l => l.Contains("\"kind\":\"step\"")) : 0;
        }
        catch (IOException)
        {
            return 0;   // being replaced at this moment
        }
    }

    static bool HasCheckpoint(string run) =>
        new[] { "last", "previous", "best" }.Any(n => File.Exists(Path.Combine(run, "checkpoints", n + ".safetensors")));

    [Fact]
    public void KilledAtSeededMomentsAndResumedEndsWithTheUninterruptedModel()
    {
        var dir = Directory.CreateTempSubdirectory("attn-kill").FullName;
        try
        {
            var dict = CliSmokeTests.WriteDictionary(dir);
            var reference = Path.Combine(dir, "reference");
            var straight = CliSmokeTests.Run(TrainArgs(dict, reference, resume: false));
            Assert.True(straight.Code == 0, straight.Error + straight.Output);

            var run = Path.Combine(dir, "killed");
            var random = new Random(20261207);
            // Half-way through writing each kind of file a run saves (the metrics rewind only a resumed run makes), in
            // a seeded order, with a metrics row torn at a seeded step and one kill -9 from outside after seeded steps.
            string[] kills = [.. new[] { "save:last.safetensors", "save:best.safetensors", "save:model.safetensors", "save:results.json",
                                         "save:metrics.jsonl", "save:loss.png", $"metrics:{random.Next(1, MaxSteps + 1)}", "outside" }
                                 .OrderBy(_ => random.Next())];
            var log = new List<string>();
            int killed = 0;
            foreach (var kill in kills)
            {
                var (code, output) = kill == "outside"
                    ? Child(TrainArgs(dict, run, HasCheckpoint(run)), null, run, killAfterSteps: random.Next(3, 20))
                    : Child(TrainArgs(dict, run, HasCheckpoint(run)), kill, run);
                log.Add($"{kill}: exit {code}");
                if (code == 0) continue;   // the kill point lay beyond this run's work; it finished
                Assert.True(code == 137, $"{kill}: exit {code} is not a kill:\n{output}");
                killed++;
            }
            var final = Child(TrainArgs(dict, run, HasCheckpoint(run)), null, run);
            output.WriteLine(string.Join("\n", log));
            Assert.True(final.Code == 0, string.Join("\n", log) + "\n" + final.Output);
            Assert.True(killed >= 5, string.Join("\n", log));

            Assert.True(File.ReadAllBytes(Path.Combine(reference, "model.safetensors")).AsSpan()
                            .SequenceEqual(File.ReadAllBytes(Path.Combine(run, "model.safetensors"))), "the resumed model differs\n" + string.Join("\n", log));
            Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
            var rows = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
            Assert.Equal(Enumerable.Range(1, MaxSteps).Select(i => (long)i),
                         rows.Where(r => r.GetProperty("kind").GetString() == "step").Select(r => r.GetProperty("step").GetInt64()));
            Assert.Equal(File.ReadLines(Path.Combine(reference, "metrics.jsonl")).Select(Losses), rows.Select(r => Losses(r.GetRawText())));
            using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "trainer_state.json")));
            Assert.True(state.RootElement.GetProperty("finished").GetBoolean());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A metrics row without its timings (which differ run to run): kind, step, loss, learning rate, metrics.</summary>
    static string Losses(string row) =>
        string.Join(",", JsonDocument.Parse(row).RootElement.EnumerateObject()
                                     .Where(p => p.Name is not ("elapsed_s" or "tokens_per_s")).Select(p => $"{p.Name}={p.Value.GetRawText()}"));
}
