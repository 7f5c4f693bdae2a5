using Microsoft.ML.OnnxRuntime;

namespace SharpAttention.Bench;

/// <summary>
/// The ONNX Runtime anchor of the `attention` group: the fused com.microsoft MultiHeadAttention contrib operator
/// (CPU execution provider) on a one-node graph written by <see cref="OnnxGraph"/>, query/key/value (B, N, H·D),
/// IntraOpNumThreads = all cores. Causal shapes set the operator's `unidirectional` attribute; ONNX Runtime's CPU
/// kernel then leaves its flash path (taken only without masks) for its unfused one, which is its own choice and
/// what an ONNX Runtime user of a causal model gets.
/// </summary>
internal sealed class OrtAnchor : IDisposable
{
    readonly InferenceSession full, causal;
    readonly RunOptions runOptions = new();

    /// <summary>Tensors handed to ONNX Runtime (they pin their arrays until disposed).</summary>
    readonly List<OrtValue> values = [];

    OrtAnchor(InferenceSession full, InferenceSession causal) => (this.full, this.causal) = (full, causal);

    /// <summary>The anchor, or null (with the reason on stderr) when ONNX Runtime cannot load on this machine.</summary>
    public static OrtAnchor? TryCreate()
    {
        try
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = Environment.ProcessorCount,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            int hidden = AttentionProblem.H * AttentionProblem.D;
            var full = new InferenceSession(OnnxGraph.MultiHeadAttention(AttentionProblem.H, hidden, unidirectional: false), options);
            var causal = new InferenceSession(OnnxGraph.MultiHeadAttention(AttentionProblem.H, hidden, unidirectional: true), options);
            return new OrtAnchor(full, causal);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            Console.Error.WriteLine($"ONNX Runtime anchor: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// An action running the operator once on <paramref name="problem"/>'s q, k, v (transposed once, outside the
    /// timing, to the operator's (B, N, H·D) layout) into a preallocated output; its first call is checked against
    /// the reference.
    /// </summary>
    public Action Forward(AttentionProblem problem)
    {
        var session = problem.Causal ? causal : full;
        long[] shape = [AttentionProblem.B, problem.N, AttentionProblem.H * AttentionProblem.D];
        float[] output = new float[problem.Elements];
        var query = OrtValue.CreateTensorValueFromMemory(ToSequenceMajor(problem.Q, problem.N), shape);
        var key = OrtValue.CreateTensorValueFromMemory(ToSequenceMajor(problem.K, problem.N), shape);
        var value = OrtValue.CreateTensorValueFromMemory(ToSequenceMajor(problem.V, problem.N), shape);
        var result = OrtValue.CreateTensorValueFromMemory(output, shape);
        string[] inputNames = ["query", "key", "value"], outputNames = ["output"];
        OrtValue[] inputs = [query, key, value], outputs = [result];
        values.AddRange([query, key, value, result]);

        bool checkedOnce = false;
        return () =>
        {
            session.Run(runOptions, inputNames, inputs, outputNames, outputs);
            if (checkedOnce) return;
            // Output (B, N, H·D): row i of head h starts at (i·H + h)·D.
            problem.CheckForward("onnxruntime MultiHeadAttention", (h, i, d) => output[(i * AttentionProblem.H + h) * AttentionProblem.D + d]);
            checkedOnce = true;
        };
    }

    /// <summary>(B, H, N, D) → (B, N, H·D), B = 1.</summary>
    static float[] ToSequenceMajor(float[] x, int n)
    {
        const int H = AttentionProblem.H, D = AttentionProblem.D;
        var y = new float[x.Length];
        for (int h = 0; h < H; h++)
            for (int i = 0; i < n; i++)
                Array.Copy(x, (h * n + i) * D, y, (i * H + h) * D, D);
        return y;
    }

    /// <summary>Frees the tensors of the actions made so far (they must not run again).</summary>
    public void Release()
    {
        foreach (var value in values) value.Dispose();
        values.Clear();
    }

    public void Dispose()
    {
        Release();
        full.Dispose();
        causal.Dispose();
        runOptions.Dispose();
    }
}
