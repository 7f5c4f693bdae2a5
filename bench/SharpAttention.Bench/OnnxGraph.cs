using System.Text;

namespace SharpAttention.Bench;

/// <summary>
/// Writes the one-node ONNX model the ONNX Runtime anchor runs, as protobuf bytes, so the benchmark needs no Python
/// and no protobuf package. Field numbers are those of onnx/onnx.proto (ModelProto, GraphProto, NodeProto,
/// AttributeProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).
/// </summary>
internal static class OnnxGraph
{
    /// <summary>IR version 8 (ONNX 1.10+), understood by every ONNX Runtime the anchor may load.</summary>
    const long IrVersion = 8;

    /// <summary>TensorProto.DataType.FLOAT.</summary>
    const int Float = 1;

    /// <summary>AttributeProto.AttributeType.INT.</summary>
    const int AttributeInt = 2;

    /// <summary>
    /// com.microsoft MultiHeadAttention over query/key/value (B, N, H·D) → output (B, N, H·D), with symbolic B and N
    /// so one model serves every sequence length; <paramref name="unidirectional"/> = 1 makes it causal.
    /// </summary>
    public static byte[] MultiHeadAttention(int numHeads, int hidden, bool unidirectional)
    {
        var node = new Proto()
            .Strings(1, "query", "key", "value") // input
            .Strings(2, "output")                // output
            .String(3, "mha")                    // name
            .String(4, "MultiHeadAttention")     // op_type
            .String(7, "com.microsoft")          // domain
            .Message(5, IntAttribute("num_heads", numHeads));
        if (unidirectional) node.Message(5, IntAttribute("unidirectional", 1));

        var graph = new Proto()
            .Message(1, node)        // node
            .String(2, "attention")  // name
            .Message(11, Input("query", hidden))
            .Message(11, Input("key", hidden))
            .Message(11, Input("value", hidden))
            .Message(12, Input("output", hidden));

        return new Proto()
            .Int(1, IrVersion)                                   // ir_version
            .String(2, "SharpAttention.Bench")                   // producer_name
            .Message(7, graph)                                   // graph
            .Message(8, new Proto().String(1, "").Int(2, 17))  // opset_import: the default domain
            .Message(8, new Proto().String(1, "com.microsoft").Int(2, 1))
            .ToArray();
    }

    static Proto IntAttribute(string name, long value) =>
        new Proto().String(1, name).Int(20, AttributeInt).Int(3, value); // name, type, i

    /// <summary>A float tensor (batch, sequence, hidden) value, batch and sequence symbolic.</summary>
    static Proto Input(string name, int hidden)
    {
        var shape = new Proto()
            .Message(1, new Proto().String(2, "batch"))     // dim { dim_param }
            .Message(1, new Proto().String(2, "sequence"))
            .Message(1, new Proto().Int(1, hidden));        // dim { dim_value }
        var tensorType = new Proto().Int(1, Float).Message(2, shape); // elem_type, shape
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensorType)); // name, type { tensor_type }
    }

    /// <summary>A protobuf message under construction: fields appended in order, wire types 0 (varint) and 2 (bytes).</summary>
    sealed class Proto
    {
        readonly MemoryStream bytes = new();

        public Proto Int(int field, long value)
        {
            Tag(field, 0);
            Varint((ulong)value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Strings(int field, params string[] values)
        {
            foreach (string value in values) String(field, value);
            return this;
        }

        public Proto Message(int field, Proto value) => Bytes(field, value.ToArray());

        public byte[] ToArray() => bytes.ToArray();

        Proto Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Varint((ulong)value.Length);
            bytes.Write(value);
            return this;
        }

        void Tag(int field, int wireType) => Varint((ulong)(field << 3 | wireType));

        void Varint(ulong value)
        {
            for (; value >= 0x80; value >>= 7) bytes.WriteByte((byte)(value | 0x80));
            bytes.WriteByte((byte)value);
        }
    }
}
