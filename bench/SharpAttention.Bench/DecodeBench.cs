using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `decode`: greedy decoding of 128 tokens at batch 1 with the reference decoder-only model of BENCHMARKS.md (the
/// train_step model in eval mode) and its KV cache, in tokens per second, and `decode_greedy_alloc`, the managed bytes one
/// generated token allocates after warm-up; beside them the same model in torch (torch_decode.py) with a KV cache written
/// as Hugging Face's GPT-2 does (`decode_greedy_torch_cached`, `decode_greedy_vs_torch_cached`: the headline ratio) and
/// torch.nn's cache-less TransformerEncoder, which recomputes the prefix for every token (`decode_greedy_torch`,
/// `decode_greedy_vs_torch`).
/// </summary>
internal static class DecodeBench
{
    const int Tokens = 128, QuickTokens = 16;

    public static void Run(RunPlan plan)
    {
        var model = new CausalLanguageModel(TrainStepBench.Reference, new Generator(1));
        model.Eval();
        int tokens = plan.IsQuick ? QuickTokens : Tokens;
        var prompt = Tensor.FromArray(new long[] { 1 }, 1, 1);
        void Generate()
        {
            // eosId −1 never occurs: every run generates exactly `tokens` tokens.
            var h = Greedy.Decode(model, model.BeginDecoding(1, capacity: tokens), prompt, tokens, eosId: -1);
            if (h[0].Tokens.Count != tokens) throw new InvalidOperationException("decode_greedy: wrong number of tokens");
        }

        double seconds = Timing.BestSeconds(Generate, plan);
        double ours = tokens / seconds;
        Report.Figure("decode_greedy", ours, "tok/s");

        int runs = plan.IsQuick ? 1 : 3;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < runs; i++) Generate();
        Report.Figure("decode_greedy_alloc", (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / runs / tokens, "B", decimals: 0);

        var anchor = TorchAnchor.Run("decode", plan);
        TorchAnchor.Beside(anchor, "decode_greedy_torch_cached", "decode_greedy_vs_torch_cached", ours, "tok/s");
        TorchAnchor.Beside(anchor, "decode_greedy_torch", "decode_greedy_vs_torch", ours, "tok/s");
    }
}
