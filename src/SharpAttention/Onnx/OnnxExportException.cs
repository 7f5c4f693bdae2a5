namespace SharpAttention.Onnx;

/// <summary>A model (or an option of it) the ONNX exporter cannot express; the message names what ("ONNX export: a
/// TokenTagger with a char_encoder … cannot be exported"). Nothing is written when it is thrown.</summary>
public sealed class OnnxExportException(string message) : Exception($"ONNX export: {message} cannot be exported")
{
}
