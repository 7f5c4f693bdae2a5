namespace SharpAttention.Bench;

/// <summary>
/// `attention`: scaled dot-product attention, B = 1, H = 8, D = 64, fp32, N ∈ {512, 2048, 8192}, full and causal;
/// forward (GFLOPS = 4·B·H·N²·D / t, halved when causal) and forward + backward (3.5 × that count), then
/// <c>attn_mem_n16384</c>. Beside them, shape by shape so each ratio is taken within the same minutes: ONNX Runtime's
/// fused MultiHeadAttention forward (<c>_ort</c>, <c>_vs_ort</c>; timed runs alternating with ours) and unfused
/// PyTorch + OpenBLAS forward and forward + backward (<c>_torch</c>, <c>_vs_torch</c>; a subprocess right after
/// ours). No anchor runs at the same moment as ours: each uses every core.
/// </summary>
internal static class AttentionBench
{
    /// <summary>Shapes in the order printed; torch_anchor.py lists the same, and quick mode keeps the first.</summary>
    static readonly (int N, bool Causal)[] Shapes =
        [(512, false), (512, true), (2048, false), (2048, true), (8192, false), (8192, true)];

    /// <summary>
    /// N = 8192 takes ~1 s (ours, forward) to ~1 min (torch, forward + backward) per call, so fewer runs than
    /// BENCHMARKS.md's 2 warm-ups + best of 5: 1 warm-up + best of 3 here, 1 + best of 2 in torch_anchor.py.
    /// Calls that long are far above timer and scheduler noise; the best-of rule still applies.
    /// </summary>
    const int LongN = 8192;
    static readonly RunPlan LongPlan = RunPlan.Full with { Warmups = 1, Runs = 3 };

    public static void Run(RunPlan plan)
    {
        using var ort = OrtAnchor.TryCreate();
        foreach (var (n, causal) in plan.IsQuick ? Shapes[..1] : Shapes)
        {
            var problem = new AttentionProblem(n, causal);
            var shapePlan = n >= LongN && !plan.IsQuick ? LongPlan : plan;
            string forward = "attn_fwd_" + problem.Suffix, forwardBackward = "attn_fwdbwd_" + problem.Suffix;

            double oursForward;
            if (ort is null)
            {
                oursForward = problem.ForwardFlops / Timing.BestSeconds(AttentionTarget.Forward(problem), shapePlan) / 1e9;
                Report.Figure(forward, oursForward, "GFLOPS");
                Report.Unavailable(forward + "_ort");
                Report.Unavailable(forward + "_vs_ort");
            }
            else
            {
                var (ours, theirs) = Timing.BestSecondsInterleaved(AttentionTarget.Forward(problem), ort.Forward(problem), shapePlan);
                oursForward = problem.ForwardFlops / ours / 1e9;
                Report.Figure(forward, oursForward, "GFLOPS");
                Report.Figure(forward + "_ort", problem.ForwardFlops / theirs / 1e9, "GFLOPS");
                Report.Figure(forward + "_vs_ort", theirs / ours, "x", decimals: 2);
                ort.Release();
            }

            double oursForwardBackward = problem.ForwardBackwardFlops / Timing.BestSeconds(AttentionTarget.ForwardBackward(problem), shapePlan) / 1e9;
            Report.Figure(forwardBackward, oursForwardBackward, "GFLOPS");

            ReleaseMemory(); // unfused torch at N = 8192 needs ~7 GB of its own
            var torch = TorchAnchor.Run("attention", plan, "--shape", problem.Suffix);
            TorchFigure(torch, forward, oursForward);
            TorchFigure(torch, forwardBackward, oursForwardBackward);
        }
        if (!plan.IsQuick) AttentionMemory.Run();
    }

    static void TorchFigure(Dictionary<string, double>? anchor, string name, double ours)
    {
        if (anchor is null)
        {
            Report.Unavailable(name + "_torch");
            Report.Unavailable(name + "_vs_torch");
            return;
        }
        if (!anchor.TryGetValue(name + "_torch", out double theirs))
            throw new InvalidOperationException($"torch_anchor.py printed no {name}_torch");
        Report.Figure(name + "_torch", theirs, "GFLOPS");
        Report.Figure(name + "_vs_torch", ours / theirs, "x", decimals: 2);
    }

    static void ReleaseMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Tensors.StoragePool.Trim();
    }
}
