using SharpAttention.Cli;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Cli;

/// <summary>`attn --version --verbose` prints the version and the kernel paths in use; plain `--version` only the version.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class VersionTests
{
    static (int Code, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        int code = CliApp.Run(args, output, new StringWriter());
        return (code, output.ToString());
    }

    [Theory]
    [InlineData("--version", "--verbose")]
    [InlineData("--verbose", "--version")]
    public void VersionVerbosePrintsTheKernelPaths(string first, string second)
    {
        var (code, output) = Run(first, second);
        Assert.Equal(0, code);
        var lines = output.Split(Environment.NewLine);
        Assert.Matches(@"^\d+\.\d+", lines[0]);   // the version first
        Assert.Contains(KernelInfo.Describe(), output);
        Assert.Contains($"attention: {Math.Max(128, SimdWidth.Current)}-bit tiles", output);
        Assert.Contains("gemm: ", output);
    }

    [Fact]
    public void PlainVersionPrintsNoKernelPaths()
    {
        var (code, output) = Run("--version");
        Assert.Equal(0, code);
        Assert.DoesNotContain("attention:", output);
        Assert.NotEmpty(output.Trim());
    }
}
