using System.Text;
using SharpAttention.Data.Datasets;
using SharpAttention.Text;

namespace SharpAttention.Bench;

/// <summary>
/// `bpe_train_brown`: seconds to train an 8,000-token byte-level BPE on the Brown corpus' plain text (57,340 sentences,
/// 1.16 M words, 6.1 MB) with all cores; `bpe_encode`: MB/s (UTF-8 bytes) encoding that text sentence by sentence, on
/// one thread, with the trained files loaded into Microsoft.ML.Tokenizers. Its BpeTokenizer caches each word's ids,
/// so after warm-up the figure is the steady state of encoding text like the training text. Hugging Face's Rust
/// trainer takes about 1–2 s for a corpus this size (issue 17). The quick run takes 2,000 sentences, or a stand-in
/// text when the corpus is not cached (CI must not depend on the network).
/// </summary>
internal static class TokenizerBench
{
    public static void Run(RunPlan plan)
    {
        var text = Sentences(plan);
        if (text == null)
        {
            Report.Unavailable("bpe_train_brown");
            Report.Unavailable("bpe_encode");
            return;
        }
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 8000 });
        ByteLevelBpeModel? model = null;
        double trainSeconds = Timing.BestSeconds(() => model = trainer.Train(text), plan);
        Report.Figure("bpe_train_brown", trainSeconds, "s", 2);

        var folder = Directory.CreateTempSubdirectory("sa-bench-bpe-").FullName;
        try
        {
            model!.Save(folder);
            var tokenizer = ByteLevelBpe.Load(Path.Combine(folder, ByteLevelBpeModel.VocabFileName),
                Path.Combine(folder, ByteLevelBpeModel.MergesFileName), model.SpecialTokens);
            long bytes = text.Sum(s => (long)Encoding.UTF8.GetByteCount(s));
            double encodeSeconds = Timing.BestSeconds(() =>
            {
                foreach (var sentence in text) tokenizer.EncodeToIds(sentence);
            }, plan);
            Report.Figure("bpe_encode", bytes / encodeSeconds / 1e6, "MB/s");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static List<string>? Sentences(RunPlan plan)
    {
        if (plan.IsQuick)
            return BrownCorpus.IsCached()
                ? [.. BrownCorpus.Open().PlainText().Take(2_000)]
                : [.. Enumerable.Range(0, 2_000).Select(i => $"Sentence {i} says the {i % 7}th fox jumped over {i % 13} lazy dogs .")];
        try
        {
            return [.. BrownCorpus.Open(log: m => Console.Error.WriteLine(m)).PlainText()];
        }
        catch (DataUnavailableException e)
        {
            Console.Error.WriteLine(e.Message);
            return null;
        }
    }
}
