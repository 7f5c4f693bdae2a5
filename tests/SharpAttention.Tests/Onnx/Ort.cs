using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = SharpAttention.Tensors.Tensor;

namespace SharpAttention.Tests.Onnx;

/// <summary>Runs an exported file in ONNX Runtime (the tests' oracle) and compares with SharpAttention's tensors.</summary>
internal static class Ort
{
    /// <summary>An input: int64 or float32 data with its shape.</summary>
    public static NamedOnnxValue Input(string name, long[] data, params int[] shape) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(data, shape));

    public static NamedOnnxValue Input(string name, float[] data, params int[] shape) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, shape));

    /// <summary>Every output of one run, by name: its float32 data and shape.</summary>
    public static Dictionary<string, (float[] Data, int[] Shape)> Run(InferenceSession session, IEnumerable<NamedOnnxValue> inputs)
    {
        using var results = session.Run(inputs.ToList());
        return results.ToDictionary(r => r.Name, r =>
        {
            var t = r.AsTensor<float>();
            return (t.ToArray(), t.Dimensions.ToArray());
        });
    }

    public static InferenceSession Session(string path)
    {
        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new InferenceSession(path, options);
    }

    /// <summary>Asserts ORT's output equals ours in shape and within <paramref name="tolerance"/> everywhere.</summary>
    public static void AssertClose(Tensor expected, (float[] Data, int[] Shape) actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape);
        var e = expected.Contiguous().ToArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs(e[i] - actual.Data[i]);
            if (!(diff <= worst)) (worst, at) = (diff, i);
        }
        Assert.True(worst <= tolerance, $"ORT differs from SharpAttention by {worst:g3} at flat index {at} (ours {e[Math.Max(at, 0)]}, ORT {actual.Data[Math.Max(at, 0)]})");
    }

    /// <summary>log_softmax of one row of logits in double precision; <paramref name="padId"/>'s entry −∞ afterwards, as
    /// greedy decoding takes it.</summary>
    public static float[] LogSoftmax(ReadOnlySpan<float> logits, int? padId = null)
    {
        double max = System.Numerics.Tensors.TensorPrimitives.Max(logits), sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        var result = new float[logits.Length];
        for (int i = 0; i < logits.Length; i++) result[i] = (float)(logits[i] - max - Math.Log(sum));
        if (padId is int pad) result[pad] = float.NegativeInfinity;
        return result;
    }

    /// <summary>Token ids (B, T) drawn from 1 … vocab − 1 with row r padded (id 0) after lengths[r] tokens, and the
    /// matching attention mask (1 at real tokens).</summary>
    public static (long[] Ids, long[] Mask) Batch(int vocab, int[] lengths, int t, ulong seed)
    {
        var rng = new Random((int)seed);
        var ids = new long[lengths.Length * t];
        var mask = new long[ids.Length];
        for (int r = 0; r < lengths.Length; r++)
            for (int j = 0; j < lengths[r]; j++)
            {
                ids[r * t + j] = rng.Next(1, vocab);
                mask[r * t + j] = 1;
            }
        return (ids, mask);
    }
}
