using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// The fp32 GEMM behind <see cref="Gemm"/>: BLIS's five loops around a register-blocked micro-kernel
/// (Van Zee &amp; van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015).
/// <code>
/// for jc in n step NC:            B block (KC × NC) packed once, shared by every thread        (L3)
///   for pc in k step KC:
///     for ic in rows step MC:     A block (MC × KC) packed per thread                          (L2)
///       for jr in NC step NR:     B micro-panel (KC × NR)                                      (L1/L2)
///         for ir in MC step MR:   micro-kernel: MR × NR tile of C in registers over KC steps
/// </code>
/// Threads split the rows of C (or, when there are too few rows, the columns) at MR/NR boundaries. Every element
/// of C is summed by the same kernel over the same k blocks in the same order however the work is split, so
/// results are bit-identical for any thread count. Edge tiles run the same kernel on a scratch tile.
/// </summary>
internal static unsafe class GemmF32
{
    /// <summary>k steps per block: a 12×KC A micro-panel (24 KiB) stays in L1 while a B micro-panel
    /// (KC×32, 64 KiB) streams from L2; larger KC writes C fewer times.</summary>
    public const int KC = 512;

    /// <summary>Rows of A packed at a time: MC×KC floats (480 KiB) sit in a 1 MiB L2. A multiple of every MR.</summary>
    public const int MC = 240;

    /// <summary>Columns of B packed at a time: KC×NC floats (4 MiB) live in L3, shared by all threads (products
    /// with k &lt; KC take wider blocks of the same size).</summary>
    public const int NC = 2048;

    /// <summary>Widest B block, for the shallowest products (bounds the panels' padding in the workspace).</summary>
    public const int MaxNC = 8 * NC;

    /// <summary>C = alpha·op(A)·op(B) + beta·C for <paramref name="batch"/> products (see <see cref="Gemm"/>): a few
    /// rows against a transposed B through <see cref="Gemv"/>, otherwise on the ISA path
    /// <see cref="GemmIsaSelect.Current"/>, with the work split into at most <paramref name="parts"/> shares.
    /// Requires m, n, k &gt; 0 (the caller handles empty products).</summary>
    public static void Run(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
                           float* a, int lda, long strideA, float* b, int ldb, long strideB,
                           float beta, float* c, int ldc, long strideC, int parts)
    {
        // op(A)(i, p) = a[i·ARow + p·ACol] and op(B)(p, j) = b[p·BRow + j·BCol]: a transpose swaps the strides.
        var problem = new GemmProblem(m, n, k, alpha, beta, a, transA ? 1 : lda, transA ? lda : 1,
                                      b, transB ? 1 : ldb, transB ? ldb : 1, c, ldc);
        if (Gemv.Applies(problem))
        {
            for (int i = 0; i < batch; i++)
                Gemv.Run(problem.Offset(i * strideA, i * strideB, i * strideC), GemmIsaSelect.Current, parts);
            return;
        }
        switch (GemmIsaSelect.Current)
        {
            case GemmIsa.Avx512: GemmDriver<GemmKernelAvx512>.Batched(problem, batch, strideA, strideB, strideC, parts); break;
            case GemmIsa.Avx2: GemmDriver<GemmKernelAvx2>.Batched(problem, batch, strideA, strideB, strideC, parts); break;
            case GemmIsa.Vector128: GemmDriver<GemmKernelVector128>.Batched(problem, batch, strideA, strideB, strideC, parts); break;
            default: GemmDriver<GemmKernelScalar>.Batched(problem, batch, strideA, strideB, strideC, parts); break;
        }
    }
}

/// <summary>One product's operands: op(A) is M×K, op(B) is K×N, C is M×N (row-major, leading dimension Ldc).</summary>
internal readonly unsafe struct GemmProblem(int m, int n, int k, float alpha, float beta,
                                            float* a, nint aRow, nint aCol, float* b, nint bRow, nint bCol, float* c, nint ldc)
{
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;
    public readonly float* A = a, B = b, C = c;
    public readonly nint ARow = aRow, ACol = aCol, BRow = bRow, BCol = bCol, Ldc = ldc;

    /// <summary>The same product on matrices further along a batch.</summary>
    public GemmProblem Offset(long da, long db, long dc) =>
        new(M, N, K, Alpha, Beta, A + da, ARow, ACol, B + db, BRow, BCol, C + dc, Ldc);
}

/// <summary>The loops of <see cref="GemmF32"/> for one micro-kernel, compiled once per kernel type.</summary>
internal static unsafe class GemmDriver<TK> where TK : struct, IGemmKernel
{
    /// <summary>Rows of A packed per block: the largest multiple of MR within MC, so blocks start on MR rows.</summary>
    static int MCBlock => GemmF32.MC / TK.MR * TK.MR;

    public static void Batched(in GemmProblem problem, int batch, long strideA, long strideB, long strideC, int parts)
    {
        // The caller's buffers are made on its first call, whichever shares it then runs, not after warm-up.
        _ = GemmWorkspace.Current;
        // Whole products per thread when there are enough of them to share evenly (heads of attention); otherwise
        // every product is split over the threads. Either way each element is computed the same way.
        if (batch > 1 && parts > 1 && (batch % parts == 0 || batch >= 4 * parts))
        {
            long cost = (long)problem.M * problem.N * problem.K;
            ParallelFor.For(batch, cost, new BatchBody(problem, strideA, strideB, strideC));
            return;
        }
        for (int i = 0; i < batch; i++)
            Product(problem.Offset(i * strideA, i * strideB, i * strideC), parts);
    }

    /// <summary>One product with its work split into at most <paramref name="parts"/> shares.</summary>
    public static void Product(in GemmProblem p, int parts)
    {
        int nr = TK.NR, mr = TK.MR;
        var ws = GemmWorkspace.Current;
        int rowPanels = (p.M + mr - 1) / mr;
        // A shallow product (k < KC) gets proportionally wider B blocks of the same size in bytes, so A is
        // packed fewer times (once per B block).
        int ncMax = Math.Clamp(GemmF32.KC * GemmF32.NC / Math.Min(p.K, GemmF32.KC) / nr * nr, GemmF32.NC, GemmF32.MaxNC);
        for (int jc = 0; jc < p.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, p.N - jc);
            int colPanels = (nc + nr - 1) / nr;
            bool byRows = SplitRows(rowPanels, colPanels, parts);
            for (int pc = 0; pc < p.K; pc += GemmF32.KC)
            {
                int kc = Math.Min(GemmF32.KC, p.K - pc);
                // (kc, nc) of op(B) into colPanels panels of (kc, NR), packed by the whole team.
                float* packedB = ws.B(colPanels * GemmPack.PanelStride(nr, kc));
                ParallelFor.For(colPanels, (long)kc * nr, new PackBBody(p.B + pc * p.BRow + jc * p.BCol, p.BRow, p.BCol, kc, nc, packedB));
                // The first k block applies beta (and with beta = 0 never reads C); later ones add onto C.
                var block = new GemmBlock(jc, pc, nc, kc, packedB, pc == 0 ? p.Beta : 1f, pc == 0 && p.Beta == 0f);
                int panels = byRows ? rowPanels : colPanels;
                var body = new PanelsBody(p, block, byRows);
                // Static shares of whole panels: one contiguous run of rows per thread, as even as panels allow,
                // each cut into full-size A blocks (dynamic chunks would need smaller blocks to balance).
                if (parts == 1) body.Run(0, panels);
                else ParallelFor.For(parts, (long)p.M * nc * kc / parts, new SharesBody(body, panels, parts));
            }
        }
    }

    /// <summary>Time to pack one A micro-panel, in micro-kernel calls (a rough figure: it only breaks near-ties). A call
    /// spends about one cycle per float of its A panel at either width (MR·NR·kc multiply-adds, 16 or 32 a cycle);
    /// packing loads and stores each float once, in about half a cycle.</summary>
    const double PackAPanelCost = 0.5;

    /// <summary>
    /// Whether threads split the rows of C (else its columns), whichever gives the busiest thread less to do. A row
    /// split packs each A panel once; a column split makes every thread pack all of A, and each packed panel then
    /// feeds only that thread's columns. Comparing panel counts alone chose columns whenever the row panels were odd
    /// by one (4,096 rows are 683 panels of 6 at 256 bits): the A packing, done twice over, then cost more than the
    /// half panel of imbalance it saved (measured: 13 % of the AVX2 training step went to packing).
    /// </summary>
    static bool SplitRows(int rowPanels, int colPanels, int parts)
    {
        double rows = (rowPanels + parts - 1) / parts * (colPanels + PackAPanelCost);
        double cols = rowPanels * ((colPanels + parts - 1) / parts + PackAPanelCost);
        return rows <= cols;
    }

    /// <summary>Rows [r0, r1) × block columns [j0, j1) of C: pack A in blocks of at most MC rows, then run the
    /// tiles. The blocks are of near-equal size (whole MR panels), so no block reuses the B panels for only a few
    /// rows.</summary>
    static void Tiles(in GemmProblem p, in GemmBlock blk, int r0, int r1, int j0, int j1)
    {
        int mr = TK.MR, blockPanels = MCBlock / mr;
        var ws = GemmWorkspace.Current;
        float* packedA = ws.A(MCBlock / mr * GemmPack.PanelStride(mr, blk.Kc));
        int panels = (r1 - r0 + mr - 1) / mr, blocks = (panels + blockPanels - 1) / blockPanels;
        for (int bi = 0; bi < blocks; bi++)
        {
            int ic = r0 + panels * bi / blocks * mr, mc = Math.Min(r1, r0 + panels * (bi + 1) / blocks * mr) - ic;
            // (mc, kc) of op(A) into panels of (kc, MR).
            GemmPack.Block<TK>(p.A + ic * p.ARow + blk.Pc * p.ACol, p.ACol, p.ARow, blk.Kc, mc, mr, packedA);
            Macro(p, blk, packedA, mc, p.C + ic * p.Ldc + blk.Jc, j0, j1, ws);
        }
    }

    /// <summary>The two inner loops: every MR×NR tile of an (mc, [j0, j1)) block of C.</summary>
    static void Macro(in GemmProblem p, in GemmBlock blk, float* packedA, int mc, float* c, int j0, int j1, GemmWorkspace ws)
    {
        int mr = TK.MR, nr = TK.NR, kc = blk.Kc;
        nint strideA = GemmPack.PanelStride(mr, kc), strideB = GemmPack.PanelStride(nr, kc);
        for (int jr = j0; jr < j1; jr += nr)
        {
            int ncols = Math.Min(nr, j1 - jr);
            float* b = blk.PackedB + jr / nr * strideB;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int nrows = Math.Min(mr, mc - ir);
                float* a = packedA + ir / mr * strideA;
                float* cTile = c + ir * p.Ldc + jr;
                if (nrows == mr && ncols == nr)
                    TK.Run(kc, a, b, cTile, p.Ldc, p.Alpha, blk.Beta, blk.Overwrite);
                else
                    Edge(kc, a, b, cTile, p.Ldc, p.Alpha, blk, nrows, ncols, ws);
            }
        }
    }

    /// <summary>A partial tile: the same kernel on a full scratch tile holding the valid part of C, copied back.</summary>
    static void Edge(int kc, float* a, float* b, float* c, nint ldc, float alpha, in GemmBlock blk, int rows, int cols, GemmWorkspace ws)
    {
        int nr = TK.NR;
        float* tile = ws.Tile(TK.MR * nr);
        if (!blk.Overwrite)
            for (int i = 0; i < rows; i++)
                new ReadOnlySpan<float>(c + i * ldc, cols).CopyTo(new Span<float>(tile + i * nr, cols));
        TK.Run(kc, a, b, tile, nr, alpha, blk.Beta, blk.Overwrite);
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<float>(tile + i * nr, cols).CopyTo(new Span<float>(c + i * ldc, cols));
    }

    /// <summary>Packs B panels [start, end) of one (kc, nc) block.</summary>
    readonly struct PackBBody(float* b, nint bRow, nint bCol, int kc, int nc, float* packed) : IRangeBody
    {
        public void Run(int start, int end)
        {
            int j = start * TK.NR;
            GemmPack.Block<TK>(b + j * bCol, bRow, bCol, kc, Math.Min(nc, end * TK.NR) - j, TK.NR, packed + start * GemmPack.PanelStride(TK.NR, kc));
        }
    }

    /// <summary>Panels [first, last) of one (jc, pc) block: row panels of MR (all columns) or column panels of NR
    /// (all rows).</summary>
    readonly struct PanelsBody(GemmProblem p, GemmBlock blk, bool byRows) : IRangeBody
    {
        public void Run(int first, int last)
        {
            if (byRows)
                Tiles(p, blk, first * TK.MR, Math.Min(p.M, last * TK.MR), 0, blk.Nc);
            else
                Tiles(p, blk, 0, p.M, first * TK.NR, Math.Min(blk.Nc, last * TK.NR));
        }
    }

    /// <summary>Shares [start, end) of <paramref name="parts"/>: a contiguous run of panels per share.</summary>
    readonly struct SharesBody(PanelsBody body, int panels, int parts) : IRangeBody
    {
        public void Run(int start, int end)
        {
            int first = (int)((long)panels * start / parts), last = (int)((long)panels * end / parts);
            if (first < last) body.Run(first, last);
        }
    }

    /// <summary>Whole products [start, end) of a batch, each on one thread.</summary>
    readonly struct BatchBody(GemmProblem p, long strideA, long strideB, long strideC) : IRangeBody
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++)
                Product(p.Offset(i * strideA, i * strideB, i * strideC), parts: 1);
        }
    }
}

/// <summary>One (jc, pc) block: its position, size, packed B and how C is updated.</summary>
internal readonly unsafe struct GemmBlock(int jc, int pc, int nc, int kc, float* packedB, float beta, bool overwrite)
{
    public readonly int Jc = jc, Pc = pc, Nc = nc, Kc = kc;
    public readonly float* PackedB = packedB;
    public readonly float Beta = beta;
    public readonly bool Overwrite = overwrite;
}
