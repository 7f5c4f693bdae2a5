using SharpAttention.Data.Datasets;
using SharpAttention.Onnx;
using SharpAttention.Tasks.G2p;
using SharpAttention.Tests.Cli;
using SharpAttention.Tests.Support;
using SharpAttention.Text;
using SharpAttention.Training;
using Xunit.Abstractions;

namespace SharpAttention.Tests.Onnx;

/// <summary>
/// A trained G2P model exported to ONNX and decoded greedily through ONNX Runtime gives, word by word, the pronunciations
/// `attn`'s own greedy decoder gives (G2pPredictor), hence the same WER. With $SHARPATTENTION_ONNX_G2P_MODEL naming a
/// folder written by `attn train g2p` (the quick recipe), the words are the first 500 test words of the cmudict split;
/// without it (CI), a tiny model is trained for a few steps on a synthetic dictionary and all its test words are used.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public sealed class G2pOnnxWerTests(ITestOutputHelper output) : IDisposable
{
    public const string ModelVariable = "SHARPATTENTION_ONNX_G2P_MODEL";
    readonly string dir = Directory.CreateTempSubdirectory("onnx-g2p-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ExportedModelGivesTheSamePronunciationsAndWer()
    {
        var (folder, entries) = ModelAndWords();
        var model = G2pModel.Load(folder);
        var (encoderPath, decoderPath, withPastPath) = model.Network.ExportOnnx(Path.Combine(dir, "onnx"));
        var words = entries.Select(e => e.Word).ToArray();
        var ours = G2pPredictor.Predict(model, words, beamWidth: 1, nBest: 1, batchSize: 1);

        using var encoder = Ort.Session(encoderPath);
        using var decoder = Ort.Session(decoderPath);
        using var withPast = Ort.Session(withPastPath);
        var (ourRates, ortRates) = (new SequenceErrorRates(), new SequenceErrorRates());
        int differ = 0;
        string? firstDifference = null;
        for (int i = 0; i < words.Length; i++)
        {
            var src = Array.ConvertAll(model.EncodeWord(words[i]), id => (long)id);
            var mask = Enumerable.Repeat(1L, src.Length).ToArray();
            var hidden = Ort.Run(encoder, [Ort.Input("input_ids", src, 1, src.Length), Ort.Input("attention_mask", mask, 1, src.Length)])["last_hidden_state"];
            var (tokens, _) = OrtGreedy.Seq2Seq(decoder, withPast, model.Network, hidden, mask, G2pPredictor.MaxOutputLength(model, src.Length),
                Vocabulary.BosId, Vocabulary.EosId, Vocabulary.PadId);
            var viaOrt = model.Phonemes.Decode(tokens[0].Select(id => (int)id));
            var references = entries[i].Pronunciations.ToArray();
            ourRates.Add(ours[i][0].Phonemes, references);
            ortRates.Add(viaOrt, references);
            if (!viaOrt.SequenceEqual(ours[i][0].Phonemes))
            {
                differ++;
                firstDifference ??= $"{words[i]}: ours {string.Join(' ', ours[i][0].Phonemes)}, ORT {string.Join(' ', viaOrt)}";
            }
        }
        output.WriteLine($"{words.Length} words: WER {100 * ourRates.WordErrorRate:F2} % (SharpAttention) / {100 * ortRates.WordErrorRate:F2} % (ONNX Runtime), " +
                         $"PER {100 * ourRates.SymbolErrorRate:F2} % / {100 * ortRates.SymbolErrorRate:F2} %");
        Assert.True(differ == 0, $"{differ} of {words.Length} words decode differently; first: {firstDifference}");
        Assert.Equal(ourRates.WordErrorRate, ortRates.WordErrorRate);
        OnnxChecker.AssertValid(encoderPath);
        OnnxChecker.AssertValid(decoderPath);
    }

    /// <summary>The model folder and the words to decode: the named quick model and 500 cmudict test words, or a tiny
    /// model trained here and its synthetic test words.</summary>
    (string Folder, IReadOnlyList<PronunciationEntry> Words) ModelAndWords()
    {
        if (Environment.GetEnvironmentVariable(ModelVariable) is { Length: > 0 } folder)
            return (folder, G2pData.LoadSplit(CmuDict.CachedPath()).Test.Take(500).ToArray());
        var dictionary = CliSmokeTests.WriteDictionary(dir);
        var run = Path.Combine(dir, "tiny");
        var train = CliSmokeTests.Run("train", "g2p", "--preset", "tiny", "--data", dictionary, "--out", run, "--max-steps", "40", "--threads", "1");
        Assert.True(train.Code == 0, train.Error + train.Output);
        return (run, G2pData.LoadSplit(dictionary).Test);
    }
}
