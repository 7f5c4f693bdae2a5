using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace SharpAttention.IO;

public static partial class SafeTensors
{
    /// <summary>
    /// Opens a safetensors file by memory-mapping it: only the header is read and checked up front (with every check
    /// <see cref="Read(string)"/> makes), and each tensor's <see cref="SafeTensorEntry.Data"/> is a view of the mapped
    /// file, paged in by the OS when read — so a checkpoint larger than RAM can be opened and loaded tensor by tensor.
    /// Dispose the result to unmap the file; reading an entry's data afterwards throws <see cref="ObjectDisposedException"/>.
    /// Each tensor must fit in 2 GB (a <see cref="Memory{T}"/>); the file as a whole may be larger.
    /// </summary>
    public static SafeTensorsFile ReadMapped(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        MappedRegion? region = null;
        try
        {
            long length = stream.Length;
            if (length < 8) ReadHeaderLength([], length, path);   // throws: a file can't be mapped with nothing in it
            region = new MappedRegion(MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false), length);
            stream = null;   // owned by the mapping now

            long headerLength = ReadHeaderLength(region.Span(0, 8), length, path);
            var header = region.Span(8, (int)headerLength).ToArray();   // ≤ 100 MB, parsed once
            long dataStart = 8 + headerLength;
            var (metadata, layouts) = ParseHeader(header, length - dataStart, path);
            var entries = new List<SafeTensorEntry>(layouts.Count);
            foreach (var l in layouts)
            {
                long size = l.End - l.Begin;
                if (size > Array.MaxLength)
                    throw new SafeTensorsFormatException(path, l.Name, $"{size} bytes is more than one Memory<byte> can hold");
                entries.Add(l.ToEntry(size == 0 ? ReadOnlyMemory<byte>.Empty : new MappedMemory(region, dataStart + l.Begin, (int)size).Memory));
            }
            return new SafeTensorsFile(path, metadata, entries, region);
        }
        catch
        {
            region?.Dispose();
            stream?.Dispose();
            throw;
        }
    }

    /// <summary>A read-only view of a whole mapped file, pinned at one address until disposed.</summary>
    sealed unsafe class MappedRegion : IDisposable
    {
        readonly MemoryMappedFile file;
        readonly MemoryMappedViewAccessor view;
        readonly byte* start;
        readonly long length;
        int disposed;

        public MappedRegion(MemoryMappedFile file, long length)
        {
            this.file = file;
            this.length = length;
            try
            {
                view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                start = p + view.PointerOffset;
            }
            catch
            {
                view?.Dispose();
                file.Dispose();
                throw;
            }
        }

        public Span<byte> Span(long offset, int count)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, typeof(SafeTensorsFile));
            if (offset < 0 || count < 0 || offset > length - count) throw new ArgumentOutOfRangeException(nameof(offset));
            return new Span<byte>(start + offset, count);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }
    }

    /// <summary>One tensor's bytes in a <see cref="MappedRegion"/>, as Memory; every access checks the region is still mapped.</summary>
    sealed class MappedMemory(MappedRegion region, long offset, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => region.Span(offset, length);

        public override MemoryHandle Pin(int elementIndex = 0) =>
            throw new NotSupportedException("safetensors: mapped tensor data cannot be pinned; copy it out with ToArray()");

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
