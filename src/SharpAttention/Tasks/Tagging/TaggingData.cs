using SharpAttention.Data;
using SharpAttention.Data.Datasets;

namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// The user's tagged sentences, whatever their form: JSON Lines (.jsonl/.ndjson) or CoNLL columns (anything else);
/// the Brown corpus split of ../shared/DATA.md; and the tag set a split implies.
/// </summary>
public static class TaggingData
{
    /// <summary>Reads a file by its kind (see the class summary).</summary>
    public static IReadOnlyList<TaggedSequence> Read(string path, int tokenColumn = 0, int tagColumn = -1)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" => TaggedJsonLinesReader.Read(path),
            _ => ConllReader.Read(path, tokenColumn, tagColumn),
        };
    }

    /// <summary>
    /// The Brown part-of-speech protocol: the original tagset as written (compound and -tl/-hl forms kept), sentences in
    /// file order, files whose index in ca01 … cr09 is ≡ 9 (mod 10) are test, the rest train (no validation part).
    /// With <paramref name="dev"/>, the training files whose index is ≡ 8 (mod 10) become the validation part: settings
    /// are chosen there, never on the test files.
    /// </summary>
    public static TaggingSplit Brown(BrownCorpus corpus, bool dev = false)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var train = new List<TaggedSequence>();
        var test = new List<TaggedSequence>();
        var valid = new List<TaggedSequence>();
        for (int i = 0; i < corpus.FileIds.Count; i++)
        {
            string id = corpus.FileIds[i];
            var part = i % 10 == 9 ? test : dev && i % 10 == 8 ? valid : train;
            foreach (var s in corpus.Sentences(id))
                part.Add(new TaggedSequence([.. s.Words.Select(w => w.Word)], [.. s.Words.Select(w => w.Tag)], Path.Combine(corpus.Directory, id), s.Line));
        }
        return new TaggingSplit(train, valid, test);
    }

    /// <summary>The distinct tags of <paramref name="sentences"/> in ordinal order: tag i is the i-th.</summary>
    public static string[] Tags(IEnumerable<TaggedSequence> sentences) =>
        [.. sentences.SelectMany(s => s.Tags).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Checks a split before training: training data is present and each sentence has at least one word and one
    /// tag per word. A tag of the validation or test part that training never shows is allowed (Brown's test files hold
    /// a few): the model cannot predict it, so it counts as an error.</summary>
    /// <exception cref="DataFormatException">naming the file and line of the offending sentence.</exception>
    public static void Check(TaggingSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Train.Count == 0) throw new ArgumentException("tagging data: the training part is empty");
        foreach (var s in split.Train.Concat(split.Valid).Concat(split.Test))
            if (s.Words.Count != s.Tags.Count || s.Words.Count == 0)
                throw new DataFormatException(s.Source, s.Line, $"{s.Words.Count} words but {s.Tags.Count} tags: need one tag per word, at least one word");
    }
}
