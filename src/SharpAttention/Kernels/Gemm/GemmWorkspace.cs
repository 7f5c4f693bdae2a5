using System.Runtime.CompilerServices;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// One thread's packing buffers for the fp32 GEMM: the packed A block (MC × KC), the packed B block (KC × NC
/// floats, shared with the team while this thread drives a product) and one C tile for edge tiles. Pinned and
/// 64-byte aligned, allocated at their largest size the first time the thread runs a GEMM and reused ever after —
/// which thread runs which share changes from call to call, so buffers grown on demand would allocate long after
/// warm-up.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic] static GemmWorkspace? current;

    /// <summary>The calling thread's buffers.</summary>
    public static GemmWorkspace Current => current ??= new GemmWorkspace();

    /// <summary>Largest MR × NR of any micro-kernel, with room to spare.</summary>
    const int TileFloats = 1024;

    readonly float[] a, b, tile;
    readonly float* packedA, packedB, tilePtr;

    GemmWorkspace()
    {
        a = Allocate(GemmF32.MC * GemmF32.KC, out packedA);
        b = Allocate(GemmF32.KC * GemmF32.NC, out packedB);
        tile = Allocate(TileFloats, out tilePtr);
    }

    /// <summary>Room for <paramref name="floats"/> floats of packed A panels.</summary>
    public float* A(int floats) => Check(packedA, floats, a);

    /// <summary>Room for <paramref name="floats"/> floats of packed B panels.</summary>
    public float* B(int floats) => Check(packedB, floats, b);

    /// <summary>Room for one MR × NR edge tile of C.</summary>
    public float* Tile(int floats) => Check(tilePtr, floats, tile);

    static float* Check(float* buffer, int floats, float[] array) =>
        floats <= array.Length - 16 ? buffer : throw new InvalidOperationException($"gemm: workspace of {array.Length - 16} floats asked for {floats}");

    /// <summary>A pinned array (on the pinned object heap, so the pointer stays valid) and its first 64-byte boundary.</summary>
    static float[] Allocate(int floats, out float* aligned)
    {
        var array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        aligned = (float*)(((nint)Unsafe.AsPointer(ref array[0]) + 63) & ~(nint)63);
        return array;
    }
}
