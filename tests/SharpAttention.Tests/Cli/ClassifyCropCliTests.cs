using System.Text.Json;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Cli;

/// <summary>The classify recipe's random-crop keys: a bad value is named with its file, line and key (exit 1) before
/// any work; a good one trains and is kept in recipe.json.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class ClassifyCropCliTests
{
    [Fact]
    public void Crop_keys_are_checked_and_kept_in_the_recipe()
    {
        using var tmp = new TempDir();
        string dir = tmp.Path;
        var data = ClassifyCliTests.WriteKeywordData(dir, "crop.csv", 40, seed: 4);
        var config = Path.Combine(dir, "crop.json");
        string Out() => Path.Combine(dir, "run-" + Guid.NewGuid().ToString("N"));
        (int, string, string) Train(string json, string output)
        {
            File.WriteAllText(config, json);
            return CliRun.Run("", "train", "classify", "--preset", "tiny", "--data", data, "--out", output, "--config", config, "--threads", "1");
        }
        CliRun.Fails(Train("{\n  \"epochs\": 1,\n  \"random_crop\": 1.5\n}", Out()), 1, $"{config}:3:", "random_crop = 1.5 must lie in [0, 1]");
        CliRun.Fails(Train("{\"random_crop\": -0.1}", Out()), 1, $"{config}:1:", "random_crop = -0.1");
        CliRun.Fails(Train("{\"random_crop_min_tokens\": 0}", Out()), 1, $"{config}:1:", "random_crop_min_tokens = 0 must lie in 1..8190");
        CliRun.Fails(Train("{\"random_crop_min_tokens\": 2.5}", Out()), 1, "random_crop_min_tokens");
        // The tiny preset reads 64 tokens, 62 of them text: a minimum of 63 leaves no window.
        CliRun.Fails(Train("{\"random_crop\": 0.5, \"random_crop_min_tokens\": 63}", Out()), 1, "random_crop_min_tokens = 63", "max_length = 64");
        Assert.Empty(Directory.GetDirectories(dir));   // refused before any folder was written

        var run = Out();
        var (code, _, error) = Train("{\"random_crop\": 0.5, \"random_crop_min_tokens\": 4, \"epochs\": 1}", run);
        Assert.True(code == 0, error);
        var recipe = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "recipe.json"))).RootElement;
        Assert.Equal(0.5, recipe.GetProperty("random_crop").GetDouble());
        Assert.Equal(4, recipe.GetProperty("random_crop_min_tokens").GetInt32());
    }
}
