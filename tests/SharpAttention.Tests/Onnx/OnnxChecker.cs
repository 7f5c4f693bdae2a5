using System.Diagnostics;

namespace SharpAttention.Tests.Onnx;

/// <summary>
/// onnx.checker.check_model(model, full_check=True) from Debian's python3-onnx (which CI installs), run on a file the
/// test wrote: the ONNX project's own validation of the graph, its operators' schemas and shape inference.
/// </summary>
internal static class OnnxChecker
{
    const string Python = "/usr/bin/python3";

    public static void AssertValid(string path)
    {
        var script = "import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')";
        var start = new ProcessStartInfo(File.Exists(Python) ? Python : "python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && output.Result.Trim() == "ok",
            $"onnx.checker rejected {Path.GetFileName(path)} (python3-onnx must be installed): {error.Trim().Split('\n').LastOrDefault()}");
    }
}
