using Microsoft.ML.Tokenizers;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

/// <summary>The WordPiece trainer against a naive reference trainer (every pair recounted after every merge), a
/// hand-worked merge, determinism of the written vocab.txt, and Microsoft.ML.Tokenizers' BERT tokenizer reading it and
/// encoding as a naive greedy longest-match-first encoder does.</summary>
public class WordPieceTrainerTests
{
    static readonly string[] Syllables = ["hu", "g", "pu", "n", "b", "ing", "er", "s", "ta", "re", "ion", "con", "de", "a", "qu"];

    /// <summary>Pseudo-English lines with punctuation and capitals, from a fixed seed.</summary>
    internal static string[] Corpus(int lines, int seed)
    {
        var random = new Random(seed);
        string Word() => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => Syllables[random.Next(Syllables.Length)]));
        return [.. Enumerable.Range(0, lines).Select(_ =>
            string.Join(' ', Enumerable.Range(0, random.Next(3, 10)).Select(i => (i == 0 ? Capital(Word()) : Word()) + (random.Next(6) == 0 ? "," : ""))) + ".")];
        static string Capital(string w) => char.ToUpperInvariant(w[0]) + w[1..];
    }

    /// <summary>BERT's uncased basic tokenization on ASCII text: lower-case, split at spaces, every punctuation
    /// character a word of its own.</summary>
    static IEnumerable<string> NaiveWords(string line)
    {
        foreach (var chunk in line.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int start = 0;
            for (int i = 0; i < chunk.Length; i++)
                if (char.IsPunctuation(chunk[i]))
                {
                    if (i > start) yield return chunk[start..i];
                    yield return chunk[i].ToString();
                    start = i + 1;
                }
            if (start < chunk.Length) yield return chunk[start..];
        }
    }

    /// <summary>The reference: WordPiece as BPE with ## continuation, recounting every pair over every word each step.</summary>
    static List<string> NaiveTrain(IEnumerable<string> lines, int vocabSize, int minFrequency)
    {
        var counts = new Dictionary<string, long>();
        foreach (var word in lines.SelectMany(NaiveWords)) counts[word] = counts.GetValueOrDefault(word) + 1;
        var splits = counts.Keys.ToDictionary(w => w, w => w.Select((c, i) => i == 0 ? c.ToString() : "##" + c).ToList());
        var alphabet = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (word, pieces) in splits)
        {
            alphabet.UnionWith(pieces);
            alphabet.UnionWith(word.Select(c => c.ToString()));
        }
        var vocab = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        vocab.AddRange(alphabet);
        while (vocab.Count < vocabSize)
        {
            var pairs = new Dictionary<(string, string), long>();
            foreach (var (word, pieces) in splits)
                for (int i = 0; i + 1 < pieces.Count; i++)
                    pairs[(pieces[i], pieces[i + 1])] = pairs.GetValueOrDefault((pieces[i], pieces[i + 1])) + counts[word];
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < minFrequency) break;
            var (left, right) = best.Key;
            var merged = left + (right.StartsWith("##") ? right[2..] : right);
            if (!vocab.Contains(merged)) vocab.Add(merged);
            foreach (var pieces in splits.Values)
                for (int i = 0; i + 1 < pieces.Count; i++)
                    if (pieces[i] == left && pieces[i + 1] == right)
                    {
                        pieces[i] = merged;
                        pieces.RemoveAt(i + 1);
                    }
        }
        return vocab;
    }

    /// <summary>BERT's WordPiece encoding of one word: the longest vocabulary piece from the left, ## after the first,
    /// and the whole word [UNK] if some rest has no piece.</summary>
    static List<string> NaiveEncodeWord(string word, ISet<string> vocab)
    {
        var pieces = new List<string>();
        for (int start = 0; start < word.Length;)
        {
            string? found = null;
            for (int end = word.Length; end > start && found is null; end--)
            {
                var piece = (start > 0 ? "##" : "") + word[start..end];
                if (vocab.Contains(piece)) found = piece;
            }
            if (found is null) return ["[UNK]"];
            pieces.Add(found);
            start += found.Length - (start > 0 ? 2 : 0);
        }
        return pieces;
    }

    [Fact]
    public void Hand_worked_merge_of_the_most_frequent_pair()
    {
        // Words ab ×3, ac ×1. Alphabet in ordinal order: ##b ##c a b c. Pairs: (a, ##b) 3, (a, ##c) 1 → "ab".
        var vocab = WordPieceTrainer.Train(["ab ab ab ac"], new WordPieceTrainerOptions { VocabSize = 11, MinFrequency = 1 });
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##b", "##c", "a", "b", "c", "ab"], vocab);
        // A tie (a,##b) 2 against (a,##c) 2 goes to the ordinally first right piece, ##b.
        Assert.Equal("ab", WordPieceTrainer.Train(["ab ab ac ac"], new WordPieceTrainerOptions { VocabSize = 11, MinFrequency = 1 })[^1]);
        // MinFrequency 4 stops before any merge.
        Assert.Equal(10, WordPieceTrainer.Train(["ab ab ab ac"], new WordPieceTrainerOptions { VocabSize = 11, MinFrequency = 4 }).Count);
    }

    [Theory]
    [InlineData(200, 1, 120, 2)]
    [InlineData(400, 2, 300, 1)]
    [InlineData(50, 3, 1000, 2)]   // stops when no pair is seen twice
    public void Matches_the_naive_reference_trainer(int lines, int seed, int vocabSize, int minFrequency)
    {
        var corpus = Corpus(lines, seed);
        var expected = NaiveTrain(corpus, vocabSize, minFrequency);
        var actual = WordPieceTrainer.Train(corpus, new WordPieceTrainerOptions { VocabSize = vocabSize, MinFrequency = minFrequency });
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Training_twice_writes_identical_files()
    {
        var corpus = Corpus(500, 4);
        var options = new WordPieceTrainerOptions { VocabSize = 200 };
        var config = new TokenizerConfig { Kind = TokenizerKind.WordPiece, SpecialTokens = SpecialTokens.Bert, DoLowerCase = true };
        var dirs = new[] { Directory.CreateTempSubdirectory("wp-a").FullName, Directory.CreateTempSubdirectory("wp-b").FullName };
        foreach (var dir in dirs)
            Tokenizers.Save(WordPieceTrainer.CreateTokenizer(WordPieceTrainer.Train(corpus, options), options), dir, config);
        foreach (var file in new[] { Tokenizers.VocabTxt, Tokenizers.ConfigFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dirs[0], file)), File.ReadAllBytes(Path.Combine(dirs[1], file)));
    }

    [Fact]
    public void Microsofts_bert_tokenizer_reads_the_vocab_and_encodes_as_greedy_longest_match()
    {
        var corpus = Corpus(600, 5);
        var options = new WordPieceTrainerOptions { VocabSize = 150 };
        var vocab = WordPieceTrainer.Train(corpus, options).ToList();
        var path = Path.Combine(Directory.CreateTempSubdirectory("wp").FullName, "vocab.txt");
        File.WriteAllText(path, WordPieceTrainer.VocabText(vocab));
        var bert = BertTokenizer.Create(path, new BertOptions { LowerCaseBeforeTokenization = true });
        var set = new HashSet<string>(vocab);
        string[] sentences = [.. Corpus(30, 99), "Hugging, tarequion de!", "zzz hux", "Qu'est-ce?"];
        foreach (var sentence in sentences)
        {
            var expected = NaiveWords(sentence).SelectMany(w => NaiveEncodeWord(w, set)).Select(t => vocab.IndexOf(t)).ToArray();
            Assert.Equal(expected, bert.EncodeToIds(sentence, addSpecialTokens: false));
            Assert.Equal([2, .. expected, 3], bert.EncodeToIds(sentence));   // [CLS] … [SEP]
        }
    }
}
