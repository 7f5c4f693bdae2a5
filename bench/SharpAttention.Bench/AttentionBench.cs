namespace SharpAttention.Bench;

/// <summary>
/// `attention`: scaled dot-product attention, B = 1, H = 8, D = 64, fp32, N ∈ {512, 2048, 8192}, full and causal;
/// forward (GFLOPS = 4·B·H·N²·D / t, halved when causal) and forward + backward (3.5 × that count), then
/// <c>attn_mem_n16384</c>. Beside them, in the same run: ONNX Runtime's fused MultiHeadAttention forward
/// (<c>_ort</c>, <c>_vs_ort</c>) and unfused PyTorch + OpenBLAS forward and forward + backward (<c>_torch</c>,
/// <c>_vs_torch</c>). Every anchor runs after ours, never beside it: each uses every core.
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
        var shapes = plan.IsQuick ? Shapes[..1] : Shapes;
        var forward = new Dictionary<string, double>();
        var forwardBackward = new Dictionary<string, double>();
        foreach (var (n, causal) in shapes)
        {
            var problem = new AttentionProblem(n, causal);
            var shapePlan = n >= LongN && !plan.IsQuick ? LongPlan : plan;
            string name = "attn_fwd_" + problem.Suffix;
            forward[name] = problem.ForwardFlops / Timing.BestSeconds(AttentionTarget.Forward(problem), shapePlan) / 1e9;
            Report.Figure(name, forward[name], "GFLOPS");
            name = "attn_fwdbwd_" + problem.Suffix;
            forwardBackward[name] = problem.ForwardBackwardFlops / Timing.BestSeconds(AttentionTarget.ForwardBackward(problem), shapePlan) / 1e9;
            Report.Figure(name, forwardBackward[name], "GFLOPS");
        }
        ReleaseMemory();

        OnnxRuntime(shapes, forward, plan);
        ReleaseMemory();

        Torch(forward, forwardBackward, plan);
        if (!plan.IsQuick) AttentionMemory.Run();
    }

    static void OnnxRuntime((int N, bool Causal)[] shapes, Dictionary<string, double> forward, RunPlan plan)
    {
        using var anchor = OrtAnchor.TryCreate();
        foreach (var (n, causal) in shapes)
        {
            var problem = new AttentionProblem(n, causal, withGradient: false);
            string name = "attn_fwd_" + problem.Suffix;
            if (anchor is null)
            {
                Report.Unavailable(name + "_ort");
                Report.Unavailable(name + "_vs_ort");
                continue;
            }
            var shapePlan = n >= LongN && !plan.IsQuick ? LongPlan : plan;
            double theirs = problem.ForwardFlops / Timing.BestSeconds(anchor.Forward(problem), shapePlan) / 1e9;
            Report.Figure(name + "_ort", theirs, "GFLOPS");
            Report.Figure(name + "_vs_ort", forward[name] / theirs, "x", decimals: 2);
        }
    }

    static void Torch(Dictionary<string, double> forward, Dictionary<string, double> forwardBackward, RunPlan plan)
    {
        var anchor = TorchAnchor.Run("attention", plan);
        foreach (var ours in new[] { forward, forwardBackward })
            foreach (var (name, value) in ours)
            {
                if (anchor is null)
                {
                    Report.Unavailable(name + "_torch");
                    Report.Unavailable(name + "_vs_torch");
                    continue;
                }
                if (!anchor.TryGetValue(name + "_torch", out double theirs))
                    throw new InvalidOperationException($"torch_anchor.py printed no {name}_torch");
                Report.Figure(name + "_torch", theirs, "GFLOPS");
                Report.Figure(name + "_vs_torch", value / theirs, "x", decimals: 2);
            }
    }

    /// <summary>Gives memory back before an anchor runs: unfused torch at N = 8192 needs several GB of its own.</summary>
    static void ReleaseMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Tensors.StoragePool.Trim();
    }
}
