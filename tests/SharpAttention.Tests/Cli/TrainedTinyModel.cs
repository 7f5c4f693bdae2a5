namespace SharpAttention.Tests.Cli;

/// <summary>A tiny g2p model trained once for a test class (3 steps on the smoke tests' dictionary): the folder the
/// error-contract tests point --model at.</summary>
public sealed class TrainedTinyModel
{
    public string Folder { get; }
    public string Dictionary { get; }
    public string Model { get; }

    public TrainedTinyModel()
    {
        Folder = Directory.CreateTempSubdirectory("attn-contract").FullName;
        Dictionary = CliSmokeTests.WriteDictionary(Folder);
        Model = Path.Combine(Folder, "model");
        var train = CliSmokeTests.Run("train", "g2p", "--preset", "tiny", "--data", Dictionary, "--out", Model, "--max-steps", "3", "--threads", "1");
        if (train.Code != 0) throw new InvalidOperationException("training the tiny model failed: " + train.Error + train.Output);
    }
}
