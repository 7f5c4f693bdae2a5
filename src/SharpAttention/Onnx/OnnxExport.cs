using Google.Protobuf;
using Onnx;
using SharpAttention.IO;
using SharpAttention.Models;

namespace SharpAttention.Onnx;

/// <summary>
/// Writes models as ONNX files that ONNX Runtime (and other ONNX runtimes, without <see cref="OnnxExportOptions.Fused"/>)
/// run: standard operators of opset 17 by default, dynamic batch and sequence axes, the padding mask as an input, the
/// weights as initializers under their PyTorch names — torch.onnx.export's result with Hugging Face Optimum's input and
/// output names. A model or option the exporter cannot express throws <see cref="OnnxExportException"/> naming it, and
/// nothing is written. Files are written atomically.
/// </summary>
public static class OnnxExport
{
    /// <summary>The classifier as one graph: input_ids, attention_mask → logits (batch, classes).</summary>
    public static void ExportOnnx(this EncoderClassifier model, string path, OnnxExportOptions? options = null) =>
        Write(path, Checked(options), o => EncoderGraphs.Classifier(model, o), model);

    /// <summary>The tagger as one graph: input_ids, attention_mask → logits (batch, sequence, tags).</summary>
    public static void ExportOnnx(this TokenTagger model, string path, OnnxExportOptions? options = null) =>
        Write(path, Checked(options), o => EncoderGraphs.Tagger(model, o), model);

    /// <summary>The language model as one decoder-with-past graph (see <see cref="CausalLmGraph"/>).</summary>
    public static void ExportOnnx(this CausalLanguageModel model, string path, OnnxExportOptions? options = null) =>
        Write(path, Checked(options), o => CausalLmGraph.Build(model, o), model);

    /// <summary>The encoder-decoder model as three graphs in <paramref name="directory"/>, Optimum's "encoder_model.onnx",
    /// "decoder_model.onnx" (the first step, which also gives the cross-attention keys and values) and
    /// "decoder_with_past_model.onnx" (see <see cref="Seq2SeqGraphs"/>). Returns their paths.</summary>
    public static (string Encoder, string Decoder, string DecoderWithPast) ExportOnnx(this Seq2SeqTransformer model, string directory,
        OnnxExportOptions? options = null)
    {
        var o = Checked(options);
        var graphs = InEval(model, () => new[]
        {
            (Seq2SeqGraphs.EncoderFile, Seq2SeqGraphs.Encoder(model, o)),
            (Seq2SeqGraphs.DecoderFile, Seq2SeqGraphs.Decoder(model, o, withPast: false)),
            (Seq2SeqGraphs.DecoderWithPastFile, Seq2SeqGraphs.Decoder(model, o, withPast: true)),
        });
        Directory.CreateDirectory(directory);
        var paths = graphs.Select(g => Path.Combine(directory, g.Item1)).ToArray();
        for (int i = 0; i < graphs.Length; i++) Save(paths[i], graphs[i].Item2);
        return (paths[0], paths[1], paths[2]);
    }

    static OnnxExportOptions Checked(OnnxExportOptions? options)
    {
        options ??= new OnnxExportOptions();
        options.Validate();
        return options;
    }

    static void Write(string path, OnnxExportOptions options, Func<OnnxExportOptions, ModelProto> build, NN.Module model)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Save(path, InEval(model, () => build(options)));
    }

    /// <summary>Builds in eval mode (dropout is the identity), as torch.onnx.export does by default, and restores the mode.</summary>
    static T InEval<T>(NN.Module model, Func<T> build)
    {
        bool training = model.Training;
        model.Eval();
        try { return build(); }
        finally { model.Train(training); }
    }

    static void Save(string path, ModelProto model) => AtomicFile.Write(path, stream => model.WriteTo(stream));
}
