using SharpAttention.Cli;

namespace SharpAttention.Tests.Cli;

/// <summary>Runs `attn` in-process and checks the error contract, for every CLI test class.</summary>
internal static class CliRun
{
    public static (int Code, string Output, string Error) Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error, new StringReader(stdin));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The contract: the exit code, one line starting "attn: error:" holding <paramref name="names"/>, no stack trace.</summary>
    public static void Fails((int Code, string Output, string Error) result, int code, params string[] names)
    {
        Assert.True(result.Code == code, $"exit {result.Code}, expected {code}: {result.Error}{result.Output}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + result.Error);
        Assert.StartsWith("attn: error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
        foreach (var name in names) Assert.Contains(name, lines[0]);
    }
}
