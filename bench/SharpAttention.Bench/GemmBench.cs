namespace SharpAttention.Bench;

/// <summary>
/// `gemm`: fp32 C = A·B at square sizes and at the Transformer shapes (tokens × in × out: FFN up, FFN down,
/// vocabulary head), GFLOPS = 2·M·N·K / t, each beside OpenBLAS (through PyTorch) measured in the same run.
/// The Transformer shapes also run with a transposed operand, as a linear layer does: `_nt` is C = A·Bᵀ with B
/// stored (N, K) (forward y = x·Wᵀ: tokens × in × out); `_tn` is C = Aᵀ·B with A stored (K, M), the named layer's
/// weight gradient dW (out, in) = dyᵀ·x with dy stored (tokens, out): M = out, K = tokens, N = in, so it reduces over
/// the 4,096 tokens as Linear's backward does; the plain A·B is an input gradient dx = dy·W.
/// </summary>
internal static class GemmBench
{
    /// <summary>What is measured; swap the target in <see cref="GemmTarget"/>, not here.</summary>
    static readonly Func<int, int, int, bool, bool, Action> Target = GemmTarget.Create;

    /// <summary>Names from BENCHMARKS.md; torch_anchor.py lists the same shapes, and quick mode keeps the first.</summary>
    static readonly (string Name, int M, int K, int N, bool TransA, bool TransB)[] Shapes =
    [
        ("gemm_256", 256, 256, 256, false, false),
        ("gemm_512", 512, 512, 512, false, false),
        ("gemm_1024", 1024, 1024, 1024, false, false),
        ("gemm_2048", 2048, 2048, 2048, false, false),
        ("gemm_t4096x256x1024", 4096, 256, 1024, false, false),
        ("gemm_t4096x1024x256", 4096, 1024, 256, false, false),
        ("gemm_t4096x256x8000", 4096, 256, 8000, false, false),
        ("gemm_t4096x256x1024_nt", 4096, 256, 1024, false, true),
        ("gemm_t4096x1024x256_nt", 4096, 1024, 256, false, true),
        ("gemm_t4096x256x8000_nt", 4096, 256, 8000, false, true),
        ("gemm_t4096x256x1024_tn", 1024, 4096, 256, true, false),
        ("gemm_t4096x1024x256_tn", 256, 4096, 1024, true, false),
        ("gemm_t4096x256x8000_tn", 8000, 4096, 256, true, false),
    ];

    public static void Run(RunPlan plan)
    {
        var shapes = plan.IsQuick ? Shapes[..1] : Shapes;
        var ours = new Dictionary<string, double>();
        foreach (var (name, m, k, n, transA, transB) in shapes)
        {
            double seconds = Timing.BestSeconds(Target(m, k, n, transA, transB), plan);
            ours[name] = 2.0 * m * n * k / seconds / 1e9;
            Report.Figure(name, ours[name], "GFLOPS");
        }

        // The anchor runs after ours, never beside it: both use every core.
        var anchor = TorchAnchor.Run("gemm", plan);
        foreach (var (name, _, _, _, _, _) in shapes)
            TorchAnchor.Beside(anchor, name + "_openblas", name + "_vs_openblas", ours[name], "GFLOPS");
    }
}
