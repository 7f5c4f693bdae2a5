using System.Runtime.CompilerServices;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// One thread's packing buffers for the fp32 GEMM: the packed A block (MC × KC), the packed B block (KC × NC,
/// shared with the team while this thread drives a product) and one C tile for edge tiles. Pinned, 64-byte
/// aligned, grown on demand and then reused, so a GEMM allocates nothing once each thread has seen its largest
/// block.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic] static GemmWorkspace? current;

    /// <summary>The calling thread's buffers.</summary>
    public static GemmWorkspace Current => current ??= new GemmWorkspace();

    Buffer a, b, tile;

    /// <summary>At least <paramref name="floats"/> floats for packed A panels.</summary>
    public float* A(int floats) => a.Get(floats);

    /// <summary>At least <paramref name="floats"/> floats for packed B panels.</summary>
    public float* B(int floats) => b.Get(floats);

    /// <summary>At least <paramref name="floats"/> floats for one edge tile of C.</summary>
    public float* Tile(int floats) => tile.Get(floats);

    struct Buffer
    {
        float[]? array;
        float* aligned;
        int capacity;

        public float* Get(int floats)
        {
            if (floats > capacity)
            {
                // Pinned (on the pinned object heap), so the pointer stays valid for the thread's lifetime.
                array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
                nint start = (nint)Unsafe.AsPointer(ref array[0]);
                aligned = (float*)((start + 63) & ~(nint)63);
                capacity = floats;
            }
            return aligned;
        }
    }
}
