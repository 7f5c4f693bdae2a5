namespace SharpAttention.Bench;

/// <summary>
/// `attention`: scaled dot-product attention, B = 1, H = 8, D = 64, fp32, N ∈ {512, 2048, 8192}, full and causal;
/// forward (GFLOPS = 4·B·H·N²·D / t, halved when causal) and forward + backward (3.5 × that count), then
/// <c>attn_mem_n16384</c>. Beside them, shape by shape so each ratio is taken within the same minutes: ONNX Runtime's
/// fused MultiHeadAttention forward (<c>_ort</c>, <c>_vs_ort</c>; timed runs alternating with ours) and unfused
/// PyTorch + OpenBLAS forward and forward + backward (<c>_torch</c>, <c>_vs_torch</c>; a subprocess right after
/// ours). No anchor runs at the same moment as ours: each uses every core. Last, <c>attn_fwd_n2048_avx2</c> and
/// <c>attn_fwdbwd_n2048_avx2</c>: ours again with AVX-512 switched off (<see cref="Avx2Rerun"/>), beside torch's
/// n2048 figures of this run (quick mode: the n512 shape it ran).
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

    /// <summary>The shape the AVX2 rerun measures (BENCHMARKS.md's `attn_*_n2048_avx2`).</summary>
    const int Avx2N = 2048;

    public static void Run(RunPlan plan)
    {
        var torchFigures = new Dictionary<string, double?>();
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
            torchFigures[forward] = TorchAnchor.Beside(torch, forward + "_torch", forward + "_vs_torch", oursForward, "GFLOPS");
            torchFigures[forwardBackward] = TorchAnchor.Beside(torch, forwardBackward + "_torch", forwardBackward + "_vs_torch", oursForwardBackward, "GFLOPS");
        }

        int avx2N = plan.IsQuick ? Shapes[0].N : Avx2N;
        ReleaseMemory();
        var avx2 = Avx2Rerun.Run(plan, "attention", avx2N.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string name in (string[])[$"attn_fwd_n{avx2N}", $"attn_fwdbwd_n{avx2N}"])
            Avx2Rerun.ReportBeside(avx2, name, "GFLOPS", torchFigures[name]);

        if (!plan.IsQuick) AttentionMemory.Run();
    }

    /// <summary>Ours alone on one shape, forward then forward + backward (the AVX2 rerun's child).</summary>
    public static void MeasureOurs(AttentionProblem problem, RunPlan plan)
    {
        Report.Figure("attn_fwd_" + problem.Suffix, problem.ForwardFlops / Timing.BestSeconds(AttentionTarget.Forward(problem), plan) / 1e9, "GFLOPS");
        Report.Figure("attn_fwdbwd_" + problem.Suffix,
            problem.ForwardBackwardFlops / Timing.BestSeconds(AttentionTarget.ForwardBackward(problem), plan) / 1e9, "GFLOPS");
    }

    static void ReleaseMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Tensors.StoragePool.Trim();
    }
}
