using Google.Protobuf;
using Onnx;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Onnx;

/// <summary>
/// Builds one ONNX graph (onnx.proto's GraphProto) node by node: the model's tensors become initializers under their
/// PyTorch state_dict names (a tied weight once, under its first name, as torch.onnx.export stores it), constants get
/// generated names, and every node output a fresh value name. The op helpers (MatMul, LayerNormalization, …) live in
/// OnnxGraphBuilder.Ops.cs; the opset decides the few operators whose form changed (Reduce* axes as an input from 18).
/// </summary>
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>ONNX Runtime's contrib-operator domain (MultiHeadAttention).</summary>
    public const string MicrosoftDomain = "com.microsoft";

    readonly GraphProto graph;
    readonly Dictionary<Tensor, string> names = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<string> stored = [];
    readonly Dictionary<string, string> cache = [];
    int counter;
    long weightBytes;

    public int Opset { get; }
    public bool UsesMicrosoftDomain { get; private set; }

    /// <param name="graphName">the GraphProto's name</param>
    /// <param name="model">the module whose parameter and buffer names the initializers take</param>
    /// <param name="opset">default-domain opset version</param>
    public OnnxGraphBuilder(string graphName, Module model, int opset)
    {
        graph = new GraphProto { Name = graphName };
        Opset = opset;
        foreach (var (name, p) in model.NamedParameters()) names.TryAdd(p, name);
        foreach (var (name, b) in model.NamedBuffers()) names.TryAdd(b, name);
    }

    /// <summary>The initializer holding a parameter or buffer of the model, under its state_dict name; stored once.</summary>
    public string Weight(Tensor t)
    {
        if (!names.TryGetValue(t, out var name))
            throw new InvalidOperationException($"ONNX export: a tensor {ShapeUtil.Format(t.Shape)} is not a parameter or buffer of the exported model");
        return Store(name, t);
    }

    /// <summary>An initializer for a tensor that is no state_dict entry (a derived table), under <paramref name="name"/>.</summary>
    public string Store(string name, Tensor t)
    {
        if (stored.Add(name))
        {
            var data = t.Contiguous().ToArray();
            weightBytes += 4L * data.Length;
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.Dims.AddRange(t.Shape.ToArray().Select(d => (long)d));
            proto.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
            graph.Initializer.Add(proto);
        }
        return name;
    }

    /// <summary>A constant int64 tensor: 1-D of the values, or a scalar when <paramref name="scalar"/>.</summary>
    public string Int64s(long[] values, bool scalar = false)
    {
        string key = $"i64{(scalar ? "s" : "")}:{string.Join(',', values)}";
        if (cache.TryGetValue(key, out var name)) return name;
        name = $"const_{cache.Count}";
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        if (!scalar) proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        graph.Initializer.Add(proto);
        return cache[key] = name;
    }

    public string Int64(long value) => Int64s([value], scalar: true);

    /// <summary>A constant float32 scalar.</summary>
    public string Float(float value)
    {
        string key = $"f32:{BitConverter.SingleToInt32Bits(value)}";
        if (cache.TryGetValue(key, out var name)) return name;
        name = $"const_{cache.Count}";
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.FloatData.Add(value);
        graph.Initializer.Add(proto);
        return cache[key] = name;
    }

    /// <summary>Adds a node with one output and returns that output's name (<paramref name="output"/> when given).</summary>
    public string Node(string op, string[] inputs, AttributeProto[]? attributes = null, string? output = null, string domain = "") =>
        Node(op, inputs, [output ?? Fresh(op)], attributes, domain)[0];

    /// <summary>Adds a node with several outputs ("" for an optional output left out) and returns their names.</summary>
    public string[] Node(string op, string[] inputs, string[] outputs, AttributeProto[]? attributes = null, string domain = "")
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{counter++}" };
        if (domain.Length > 0)
        {
            node.Domain = domain;
            UsesMicrosoftDomain |= domain == MicrosoftDomain;
        }
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        if (attributes != null) node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return outputs;
    }

    /// <summary>A value name no other value has.</summary>
    public string Fresh(string hint) => $"/{hint}_{counter++}";

    /// <summary>Declares a graph input; each dim is a fixed size (int) or a named dynamic axis (string).</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output: <paramref name="value"/> (an earlier node's output) is exposed as <paramref name="name"/>.</summary>
    public void Output(string name, string value, TensorProto.Types.DataType type, params object[] dims)
    {
        if (value != name) Node("Identity", [value], output: name);
        graph.Output.Add(ValueInfo(name, type, dims));
    }

    static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                string axis => new TensorShapeProto.Types.Dimension { DimParam = axis },
                _ => throw new ArgumentException($"ONNX export: a dim must be an int or an axis name, got {d}"),
            });
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    /// <summary>The finished model: IR version 8 (ONNX 1.12, the first with opset 17), the default opset and, when a
    /// contrib operator was used, com.microsoft version 1.</summary>
    public ModelProto Build(string docString)
    {
        // Protobuf messages are limited to 2 GB; larger models need ONNX's external-data files, which are not written.
        const long limit = int.MaxValue - (64L << 20);
        if (weightBytes > limit)
            throw new OnnxExportException($"a model whose weights take {weightBytes >> 20} MiB (over the 2 GiB an ONNX file holds without external-data files, which are not written)");
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "SharpAttention",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (UsesMicrosoftDomain) model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return model;
    }

    public static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attr(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
