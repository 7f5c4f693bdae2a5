using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.NN;
using SharpAttention.NN.Transformers;
using SharpAttention.Onnx;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Onnx;

/// <summary>EncoderClassifier and TokenTagger exported to ONNX: ONNX Runtime's logits equal Forward's within 1e-4 for
/// batch 1 and 3, lengths 1 and 37 with padding, and every file passes onnx.checker's full check.</summary>
public sealed class EncoderExportTests : IDisposable
{
    const int Vocab = 50;
    readonly string dir = Directory.CreateTempSubdirectory("onnx-encoder-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<Pooling, bool, Activation, PositionEncoding, bool> ClassifierCases => new()
    {
        { Pooling.Cls, true, Activation.Gelu, PositionEncoding.Learned, false },
        { Pooling.Mean, false, Activation.Relu, PositionEncoding.Sinusoidal, false },
        { Pooling.Max, true, Activation.Relu, PositionEncoding.Rotary, false },
        { Pooling.Attention, false, Activation.Gelu, PositionEncoding.Learned, false },
        { Pooling.Attention, true, Activation.Gelu, PositionEncoding.Rotary, true },
        { Pooling.Mean, false, Activation.Relu, PositionEncoding.Sinusoidal, true },
    };

    static EncoderConfig Config(bool normFirst, Activation activation, PositionEncoding positions, Pooling pooling = Pooling.Cls) =>
        EncoderConfig.Tiny(Vocab) with
        {
            MaxLen = 64, NormFirst = normFirst, Activation = activation, Positions = positions, Pooling = pooling,
            ScaleEmbeddings = positions == PositionEncoding.Sinusoidal,
        };

    [Theory]
    [MemberData(nameof(ClassifierCases))]
    public void ClassifierLogitsMatchOnnxRuntime(Pooling pooling, bool normFirst, Activation activation, PositionEncoding positions, bool fused)
    {
        var model = new EncoderClassifier(Config(normFirst, activation, positions, pooling), numClasses: 3, new Generator(7));
        if (model.Pooler.Query is { } q)
            using (GradMode.NoGrad()) Init.Normal_(q, generator: new Generator(8));   // a query that is not zero
        model.Eval();
        var path = Path.Combine(dir, "classifier.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { Fused = fused });
        AssertMatches(path, ids => model.Forward(ids, ids.Eq(0)));
        OnnxChecker.AssertValid(path);
    }

    /// <summary>ORT's "logits" equal <paramref name="forward"/>'s on every one of <see cref="Shapes"/>, padding id 0 masked.</summary>
    static void AssertMatches(string path, Func<Tensor, Tensor> forward)
    {
        using var session = Ort.Session(path);
        foreach (var (lengths, t) in Shapes)
        {
            var (ids, mask) = Ort.Batch(Vocab, lengths, t, seed: (ulong)(lengths.Length * 100 + t));
            Tensor expected;
            using (GradMode.NoGrad()) expected = forward(Tensor.FromArray(ids, lengths.Length, t));
            var outputs = Ort.Run(session, [Ort.Input("input_ids", ids, lengths.Length, t), Ort.Input("attention_mask", mask, lengths.Length, t)]);
            Ort.AssertClose(expected, outputs["logits"]);
        }
    }

    /// <summary>(row lengths, padded length): batch 1 of length 1 and 37, batch 3 of 37, 20 and 1 tokens padded to 37.</summary>
    static readonly (int[] Lengths, int T)[] Shapes = [([1], 1), ([37], 37), ([37, 20, 1], 37)];

    [Theory]
    [InlineData(true, Activation.Gelu, PositionEncoding.Learned, false)]
    [InlineData(false, Activation.Relu, PositionEncoding.Rotary, false)]
    [InlineData(false, Activation.Gelu, PositionEncoding.Sinusoidal, true)]
    public void TaggerLogitsMatchOnnxRuntime(bool normFirst, Activation activation, PositionEncoding positions, bool fused)
    {
        var model = new TokenTagger(Config(normFirst, activation, positions), numTags: 5, new Generator(11));
        model.Eval();
        var path = Path.Combine(dir, "tagger.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { Fused = fused });
        AssertMatches(path, ids => model.Forward(ids, ids.Eq(0)));
        OnnxChecker.AssertValid(path);
    }

    [Fact]
    public void OpsetEighteenWritesReduceAxesAsInputs()
    {
        var model = new EncoderClassifier(Config(true, Activation.Gelu, PositionEncoding.Learned, Pooling.Max), numClasses: 2, new Generator(3));
        model.Eval();
        var path = Path.Combine(dir, "opset18.onnx");
        model.ExportOnnx(path, new OnnxExportOptions { Opset = 18 });
        var (ids, mask) = Ort.Batch(Vocab, [5, 3], 5, seed: 1);
        var idsT = Tensor.FromArray(ids, 2, 5);
        Tensor expected;
        using (GradMode.NoGrad()) expected = model.Forward(idsT, idsT.Eq(0));
        using var session = Ort.Session(path);
        Ort.AssertClose(expected, Ort.Run(session, [Ort.Input("input_ids", ids, 2, 5), Ort.Input("attention_mask", mask, 2, 5)])["logits"]);
    }

    [Fact]
    public void RefusesWhatItCannotExpressAndWritesNothing()
    {
        var tagger = new TokenTagger(Config(true, Activation.Gelu, PositionEncoding.Learned), numTags: 3, new Generator(1), numChars: 20);
        var path = Path.Combine(dir, "refused.onnx");
        var e = Assert.Throws<OnnxExportException>(() => tagger.ExportOnnx(path));
        Assert.Contains("char_encoder", e.Message);
        Assert.False(File.Exists(path));
        var classifier = new EncoderClassifier(Config(true, Activation.Gelu, PositionEncoding.Learned), 2, new Generator(1));
        Assert.Contains("opset 12", Assert.Throws<ArgumentException>(() => classifier.ExportOnnx(path, new OnnxExportOptions { Opset = 12 })).Message);
    }
}
