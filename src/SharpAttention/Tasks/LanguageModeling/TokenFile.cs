using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using SharpAttention.IO;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>
/// A corpus tokenized once into a flat file of int32 token ids (nanoGPT's train.bin, with a header), read back through
/// a memory map: the operating system pages in the blocks a batch touches, so a corpus larger than memory trains with
/// flat memory. Layout: "ATOK", int32 version (1), int64 count, then count little-endian int32 ids. Written atomically.
/// </summary>
public sealed unsafe class TokenFile : IDisposable
{
    const int HeaderBytes = 16, Version = 1;
    static ReadOnlySpan<byte> Magic => "ATOK"u8;

    readonly MemoryMappedFile? map;
    readonly MemoryMappedViewAccessor? view;
    readonly byte* start;

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>Tokens in the file (N).</summary>
    public long Count { get; }

    TokenFile(string path)
    {
        Path = path;
        using (var stream = File.OpenRead(path))
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            if (stream.Length < HeaderBytes || stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes
                || !header[..4].SequenceEqual(Magic) || BitConverter.ToInt32(header[4..8]) != Version)
                throw new InvalidDataException($"{path}: not a token file (expected the ATOK header of version {Version})");
            Count = BitConverter.ToInt64(header[8..16]);
            if (Count < 0 || stream.Length != HeaderBytes + 4 * Count)
                throw new InvalidDataException($"{path}: the header says {Count} tokens but the file holds {(stream.Length - HeaderBytes) / 4.0:0.##}");
        }
        if (Count == 0) return;
        map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = map.CreateViewAccessor(0, HeaderBytes + 4 * Count, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        start = p + view.PointerOffset + HeaderBytes;
    }

    /// <summary>Maps a file <see cref="Write"/> wrote.</summary>
    /// <exception cref="InvalidDataException">the header is missing or disagrees with the file's length.</exception>
    public static TokenFile Open(string path) => new(path);

    /// <summary>Writes every id of <paramref name="chunks"/> in order and returns how many were written.</summary>
    public static long Write(string path, IEnumerable<ReadOnlyMemory<int>> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        long count = 0;
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[HeaderBytes]);
            foreach (var chunk in chunks)
            {
                stream.Write(MemoryMarshal.AsBytes(chunk.Span));
                count += chunk.Length;
            }
            var header = new byte[HeaderBytes];
            Magic.CopyTo(header);
            BitConverter.TryWriteBytes(header.AsSpan(4), Version);
            BitConverter.TryWriteBytes(header.AsSpan(8), count);
            stream.Seek(0, SeekOrigin.Begin);
            stream.Write(header);
        });
        return count;
    }

    /// <summary>Tokens [<paramref name="offset"/>, offset + length): a view of the map, valid until Dispose.</summary>
    public ReadOnlySpan<int> Slice(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Count)
            throw new ArgumentOutOfRangeException(nameof(offset), $"token file {Path}: [{offset}, {offset + length}) is outside [0, {Count})");
        ObjectDisposedException.ThrowIf(Count > 0 && view is { SafeMemoryMappedViewHandle.IsClosed: true }, this);
        return length == 0 ? [] : new ReadOnlySpan<int>(start + 4 * offset, length);
    }

    /// <summary>Every token (a file of at most 2³¹ − 1 tokens).</summary>
    public int[] ToArray() => Slice(0, checked((int)Count)).ToArray();

    public void Dispose()
    {
        if (view is { SafeMemoryMappedViewHandle.IsClosed: false })
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        map?.Dispose();
    }
}
