using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Text.Json;

namespace SharpAttention.IO;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON mapping each tensor name to {dtype, shape, data_offsets} plus an optional string→string
/// "__metadata__", then the raw little-endian data, offsets counted from the start of the data section.
/// Every header field is checked before any data is touched, so a hostile file fails with a
/// <see cref="SafeTensorsFormatException"/>, never an index or allocation error.
/// </summary>
public static partial class SafeTensors
{
    /// <summary>The reference implementation refuses headers above this size; so do we, before allocating.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    const string MetadataKey = "__metadata__";

    /// <summary>Bytes per element for every dtype the format defines.</summary>
    static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>Bytes per element of a safetensors dtype string, or throws for an unknown one.</summary>
    public static int ElementSize(string dtype) =>
        ElementSizes.TryGetValue(dtype, out var size) ? size : throw new ArgumentException($"safetensors: unknown dtype '{dtype}'", nameof(dtype));

    public static SafeTensorsFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return ReadSeekable(stream, path);
    }

    public static SafeTensorsFile Read(Stream stream)
    {
        if (stream.CanSeek) return ReadSeekable(stream, null);
        // Without a length we cannot check offsets up front, so take the whole stream and parse it as a buffer.
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(new ReadOnlyMemory<byte>(copy.GetBuffer(), 0, (int)copy.Length), null);
    }

    /// <summary>Parses an in-memory file; entries' Data are slices of <paramref name="bytes"/> (no copy).</summary>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes) => Parse(bytes, null);

    static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string? path)
    {
        long headerLength = ReadHeaderLength(bytes.Span, bytes.Length, path);
        var header = bytes.Slice(8, (int)headerLength);
        var data = bytes[(8 + (int)headerLength)..];
        var (metadata, layouts) = ParseHeader(header, data.Length, path);
        var entries = layouts.Select(l => l.ToEntry(data.Slice((int)l.Begin, (int)(l.End - l.Begin)))).ToList();
        return new SafeTensorsFile(path, metadata, entries);
    }

    static SafeTensorsFile ReadSeekable(Stream stream, string? path)
    {
        long available = stream.Length - stream.Position;
        Span<byte> prefix = stackalloc byte[8];
        long headerLength = ReadHeaderLength(ReadAtMost(stream, prefix, available), available, path);
        var header = new byte[headerLength];
        ReadFully(stream, header, path);
        long dataStart = stream.Position;
        var (metadata, layouts) = ParseHeader(header, available - 8 - headerLength, path);

        // One array per tensor: a checkpoint may exceed the 2 GB a single managed array can hold.
        var entries = new List<SafeTensorEntry>(layouts.Count);
        foreach (var l in layouts)
        {
            long length = l.End - l.Begin;
            if (length > Array.MaxLength)
                throw new SafeTensorsFormatException(path, l.Name, $"{length} bytes is more than one managed array can hold");
            var buffer = length == 0 ? [] : new byte[length];
            stream.Position = dataStart + l.Begin;
            ReadFully(stream, buffer, path);
            entries.Add(l.ToEntry(buffer));
        }
        return new SafeTensorsFile(path, metadata, entries);
    }

    static ReadOnlySpan<byte> ReadAtMost(Stream stream, Span<byte> prefix, long available)
    {
        var span = prefix[..(int)Math.Min(prefix.Length, Math.Max(0, available))];
        stream.ReadExactly(span);
        return span;
    }

    static void ReadFully(Stream stream, byte[] buffer, string? path)
    {
        try { stream.ReadExactly(buffer); }
        catch (EndOfStreamException e) { throw new SafeTensorsFormatException(path, null, "the file ended early (was it truncated while being read?)", e); }
    }

    /// <summary>Checks the 8-byte prefix: present, within the 100 MB limit, and not pointing past the end of the file.</summary>
    static long ReadHeaderLength(ReadOnlySpan<byte> start, long totalLength, string? path)
    {
        if (totalLength < 8)
            throw new SafeTensorsFormatException(path, null, $"the file is {totalLength} bytes, shorter than the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (n > MaxHeaderBytes)
            throw new SafeTensorsFormatException(path, null, $"header length {n} is above the {MaxHeaderBytes}-byte limit");
        if ((long)n > totalLength - 8)
            throw new SafeTensorsFormatException(path, null, $"header length {n} runs past the end of the file ({totalLength} bytes)");
        return (long)n;
    }

    /// <summary>Where one tensor's bytes sit in the data section, already checked against its dtype and shape.</summary>
    readonly record struct Layout(string? File, string Name, string DType, int[] Shape, long NumEl, long Begin, long End)
    {
        public SafeTensorEntry ToEntry(ReadOnlyMemory<byte> data) => new(File, Name, DType, Shape, NumEl, data);
    }

    static (IReadOnlyDictionary<string, string> Metadata, List<Layout> Layouts) ParseHeader(ReadOnlyMemory<byte> header, long dataLength, string? path)
    {
        // System.Text.Json would only notice bad UTF-8 when a string is decoded; check it all up front instead.
        if (!Utf8.IsValid(header.Span))
            throw new SafeTensorsFormatException(path, null, "the header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            // Parse allows trailing whitespace (the padding) and rejects anything else after the object.
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, null, $"the header is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            try
            {
                return ParseEntries(doc.RootElement, dataLength, path);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json parses "\ud800" but refuses to decode it: a name or value that is not valid UTF-16.
                throw new SafeTensorsFormatException(path, null, $"the header holds a string that is not valid Unicode ({e.Message})", e);
            }
        }
    }

    static (IReadOnlyDictionary<string, string> Metadata, List<Layout> Layouts) ParseEntries(JsonElement root, long dataLength, string? path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(path, null, $"the header must be a JSON object, not {Kind(root)}");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var layouts = new List<Layout>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (!seen.Add(prop.Name))
                throw new SafeTensorsFormatException(path, prop.Name == MetadataKey ? null : prop.Name,
                    $"'{prop.Name}' appears more than once in the header");
            if (prop.Name == MetadataKey) ReadMetadata(prop.Value, metadata, path);
            else layouts.Add(ReadLayout(prop.Name, prop.Value, dataLength, path));
        }

        // Zero-length tensors sort before a tensor starting at the same offset, so they never count as overlaps.
        layouts.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
                             : a.End != b.End ? a.End.CompareTo(b.End) : string.CompareOrdinal(a.Name, b.Name));
        // Like the reference implementation, the tensors must tile the data section exactly: a gap or trailing
        // bytes mean a header edited by hand or data from another file.
        long covered = 0;
        for (int i = 0; i < layouts.Count; i++)
        {
            var cur = layouts[i];
            if (i > 0 && cur.Begin < layouts[i - 1].End)
            {
                var prev = layouts[i - 1];
                throw new SafeTensorsFormatException(path, cur.Name,
                    $"data_offsets [{cur.Begin}, {cur.End}] overlap those of tensor '{prev.Name}' [{prev.Begin}, {prev.End}]");
            }
            if (cur.Begin > covered)
                throw new SafeTensorsFormatException(path, cur.Name,
                    $"data_offsets [{cur.Begin}, {cur.End}] leave bytes {covered}..{cur.Begin} of the data section belonging to no tensor");
            covered = cur.End;
        }
        if (covered != dataLength)
            throw new SafeTensorsFormatException(path, null,
                $"the tensors cover {covered} bytes of the {dataLength}-byte data section; the {dataLength - covered} bytes from offset {covered} belong to no tensor");
        return (metadata, layouts);
    }

    static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string? path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(path, null, $"__metadata__ must be an object of strings, not {Kind(value)}");
        foreach (var kv in value.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsFormatException(path, null, $"__metadata__ value for key '{kv.Name}' is {Kind(kv.Value)}; metadata values must be strings");
            if (!metadata.TryAdd(kv.Name, kv.Value.GetString()!))
                throw new SafeTensorsFormatException(path, null, $"__metadata__ key '{kv.Name}' appears more than once");
        }
    }

    static Layout ReadLayout(string name, JsonElement value, long dataLength, string? path)
    {
        SafeTensorsFormatException Bad(string problem) => new(path, name, problem);

        if (value.ValueKind != JsonValueKind.Object) throw Bad($"its header entry must be an object, not {Kind(value)}");
        if (!value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad("'dtype' is missing or not a string");
        var dtype = dt.GetString()!;
        if (!ElementSizes.TryGetValue(dtype, out int elementSize)) throw Bad($"unknown dtype '{dtype}'");

        if (!value.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad("'shape' is missing or not an array");
        var shape = new int[sh.GetArrayLength()];
        long numel = 1;
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim)) throw Bad($"shape {sh.GetRawText()} holds a non-integer");
            if (dim < 0) throw Bad($"shape {sh.GetRawText()} has a negative dimension");
            if (dim > int.MaxValue) throw Bad($"shape {sh.GetRawText()} has a dimension above {int.MaxValue}");
            shape[k++] = (int)dim;
            // Division instead of multiplication keeps the overflow check exact without checked arithmetic.
            if (dim != 0 && numel > long.MaxValue / elementSize / dim) throw Bad($"shape {sh.GetRawText()} has more elements than a file can hold");
            numel *= dim;
        }
        long byteSize = numel * elementSize;

        if (!value.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("'data_offsets' must be an array [begin, end]");
        if (!TryInt64(off[0], out long begin) || !TryInt64(off[1], out long end) || begin < 0 || end < begin)
            throw Bad($"data_offsets {off.GetRawText()} must be two integers with 0 <= begin <= end");
        if (end > dataLength)
            throw Bad($"data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes); is the file truncated?");
        if (end - begin != byteSize)
            throw Bad($"data_offsets [{begin}, {end}] span {end - begin} bytes but {dtype} shape {sh.GetRawText()} needs {numel} x {elementSize} = {byteSize}");
        return new Layout(path, name, dtype, shape, numel, begin, end);
    }

    static bool TryInt64(JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }

    static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>
    /// Writes a safetensors file atomically (<see cref="AtomicFile"/>), so a crash never leaves a half-written file
    /// under <paramref name="path"/>; with <paramref name="previousPath"/> the file it replaces is kept there. Output is
    /// deterministic: see <see cref="Write(Stream, IEnumerable{ValueTuple{string, string, int[], ReadOnlyMemory{byte}}}, IReadOnlyDictionary{string, string}?)"/>.
    /// </summary>
    public static void Write(string path, IEnumerable<(string name, string dtype, int[] shape, ReadOnlyMemory<byte> data)> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null, string? previousPath = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata), previousPath);

    /// <summary>
    /// Writes a safetensors file to a stream. Header keys are sorted (ordinal) and compact; data is laid out by
    /// element size, largest first, then by name, so every tensor starts aligned to its element size; the header
    /// is padded with spaces so the data section starts at a multiple of 8, as the reference implementation does.
    /// </summary>
    public static void Write(Stream stream, IEnumerable<(string name, string dtype, int[] shape, ReadOnlyMemory<byte> data)> tensors,
                             IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, dtype, shape, data) in list)
        {
            ArgumentNullException.ThrowIfNull(name);
            if (name == MetadataKey) throw new ArgumentException($"safetensors: '{MetadataKey}' is reserved and cannot name a tensor");
            if (!seen.Add(name)) throw new ArgumentException($"safetensors: tensor '{name}' is given twice");
            if (!ElementSizes.TryGetValue(dtype, out int size)) throw new ArgumentException($"safetensors: tensor '{name}': unknown dtype '{dtype}'");
            if (shape.Any(d => d < 0)) throw new ArgumentException($"safetensors: tensor '{name}': shape ({string.Join(",", shape)}) has a negative dimension");
            long expected = checked(shape.Aggregate(1L, (a, d) => checked(a * d)) * size);
            if (data.Length != expected)
                throw new ArgumentException($"safetensors: tensor '{name}': {data.Length} bytes given but {dtype} shape ({string.Join(",", shape)}) needs {expected}");
        }
        if (metadata != null)
            foreach (var kv in metadata)
                if (kv.Value is null) throw new ArgumentException($"safetensors: metadata key '{kv.Key}' has a null value");

        var layoutOrder = list.OrderByDescending(t => ElementSizes[t.dtype]).ThenBy(t => t.name, StringComparer.Ordinal).ToList();
        var offsets = new Dictionary<string, (long Begin, long End)>(StringComparer.Ordinal);
        long position = 0;
        foreach (var t in layoutOrder)
        {
            offsets[t.name] = (position, position + t.data.Length);
            position += t.data.Length;
        }

        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var keys = list.Select(t => t.name).ToList();
            if (metadata is { Count: > 0 }) keys.Add(MetadataKey);
            keys.Sort(StringComparer.Ordinal);
            var byName = list.ToDictionary(t => t.name, StringComparer.Ordinal);
            json.WriteStartObject();
            foreach (var key in keys)
            {
                json.WritePropertyName(key);
                json.WriteStartObject();
                if (key == MetadataKey)
                {
                    foreach (var kv in metadata!.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(kv.Key, kv.Value);
                }
                else
                {
                    var t = byName[key];
                    json.WriteStartArray("data_offsets");
                    json.WriteNumberValue(offsets[key].Begin);
                    json.WriteNumberValue(offsets[key].End);
                    json.WriteEndArray();
                    json.WriteString("dtype", t.dtype);
                    json.WriteStartArray("shape");
                    foreach (var d in t.shape) json.WriteNumberValue(d);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int padding = (8 - header.WrittenCount % 8) % 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(header.WrittenCount + padding));
        stream.Write(prefix);
        stream.Write(header.WrittenSpan);
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        foreach (var t in layoutOrder) stream.Write(t.data.Span);
    }
}
