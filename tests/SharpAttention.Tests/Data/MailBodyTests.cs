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

    [Fact]
    public void DelimiterLinesThatDifferOnlyInBlanksStillSplit() =>
        // boundary="=Multipart Boundary 0925" but the lines read "--= Multipart Boundary 0925": no line matches
        // exactly, so blanks are ignored; the plain alternative is chosen.
        Assert.Equal("Cartridges from $1.21", Body("boundary-blanks.eml"));

    [Fact]
    public void ABlankPlainAlternativeGivesWayToTheHtmlOne() =>
        // The text/plain part is three empty lines; the quoted-printable HTML one has a soft break after "part".
        Assert.Equal("Only the HTML part speaks", Body("blank-plain-alternative.eml"));

    [Fact]
    public void ABodyThatOpensWithADelimiterIsReadAsAMultipart()
    {
        // No Content-Type at all, a preamble line, then "--646007810.993513231406" and part headers: both parts, and
        // no "Content-Type" line in the text.
        Assert.Equal("Plain issue 422\n\nHTML issue 422", Body("headless-multipart.eml"));
        // Declared text/html whose body is a multipart that lost its header.
        Assert.Equal("Britney\nvideo", Body("delimiter-first.eml"));
    }

    [Fact]
    public void PlainTextThatStartsLikeAnHtmlDocumentIsReadAsHtml() =>
        Assert.Equal("Free & easy\nmoney", Body("html-as-plain.eml"));

    [Fact]
    public void HeaderDumpsAndStatusReportsStayOut() =>
        // multipart/report: the human-readable part only; message/delivery-status and text/rfc822-headers are skipped.
        Assert.Equal("Delivery failed: no response", Body("report-headers.eml"));

    [Fact]
    public void AnOctetStreamAttachmentNamedHtmIsReadAsHtml() =>
        // base64 "PHA+T2ZmZXIgaW5zaWRlPC9wPg==" is "<p>Offer inside</p>"; the same bytes named list.bin stay out.
        Assert.Equal("See the attached page.\n\nOffer inside", Body("octet-attachment.eml"));

    [Fact]
    public void HtmlWithoutAMimeCharsetTakesItsMetaCharset() =>
        // KOI8-R bytes F0 D2 C9 D7 C5 D4 are "Привет"; the MIME header names no charset, the <meta> tag does.
        Assert.Equal("Привет, мир", Body("meta-charset.eml"));

    [Fact]
    public void AStrayByteInADeclaredMultiByteCharsetIsDroppedNotTheCharset() =>
        // GB2312 C3 E2 B7 D1 | B5 21 | B5 E7 BB B0: 免费, then a lead byte B5 whose "trail" is '!' (no trail byte is
        // below 0x40), then 电话. The lone lead byte goes; the '!' and the Chinese stay.
        Assert.Equal("免费!电话", Body("stray-byte.eml"));

    [Fact]
    public void LinksKeepTheirTargetsAndImagesTheirAltText()
    {
        // Query strings dropped; a target shown once per run; a target the text already shows, in-page and script
        // links not shown; a mailto keeps its address; "%62ank.example@10.0.0.1" is a disguise for 10.0.0.1; an
        // iframe is a link without text; "<!--#rotate>" never closed ends at its '>'.
        Assert.Equal(
            "Slim Order now <http://www.shop.example/buy.php> or Slim Factors\n" +
            "Visit www.shop.example top close\n" +
            "Unsubscribe: click here <mailto:off@shop.example>\n" +
            "Your bank <http://10.0.0.1/login> <http://ads.example/frame.html> Rotated text",
            Body("links.eml"));
        var raw = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "Mail", "links.eml"));
        Assert.Equal(
            "Slim Order now or Slim Factors\nVisit www.shop.example top close\nUnsubscribe: click here\nYour bank Rotated text",
            MailBody.Extract(raw, linkTargets: false));
    }

    [Fact]
    public void LinkTargetsAreSpacedFromTheWordsAround()
    {
        // Two image links in a row, then a word glued to the closing tag; an image-map area gives alt text and target.
        Assert.Equal("<http://a.example/> <http://b.example/> more",
            HtmlText.ToText("<a href=http://a.example/><img src=x.gif></a><a href='http://b.example/'><img src=y.gif></a>more"));
        Assert.Equal("Order <http://c.example/o>", HtmlText.ToText("<map><area shape=rect href=\"http://c.example/o\" alt=\"Order\"></map>"));
        // An area inside an open link shows its own target and leaves the link's for the link's end.
        Assert.Equal("Shop Y <http://y.example/> now <http://x.example/>",
            HtmlText.ToText("<a href=http://x.example/>Shop <map><area href=http://y.example/ alt=Y></map> now</a>"));
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
        Assert.Throws<DataUnavailableException>(() => SpamAssassin.Resolve(Path.Combine(tmp.Path, "spam-1")));
        Assert.Throws<DataUnavailableException>(() => SpamAssassin.Hard(tmp.Path));   // easy-ham-2 etc. missing
    }
}
