using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>Picks the next token of one row from its logits and log-probabilities (V).</summary>
internal interface ITokenChooser
{
    int Choose(ReadOnlySpan<float> logits, ReadOnlySpan<float> logProbs);
}

/// <summary>
/// The loop greedy decoding and sampling share: one token per row per step, a row stops at the end token, and the
/// rows still going are compacted (<see cref="IDecoderState.Reorder"/>) so finished ones cost nothing more. Each step
/// runs in a <see cref="TensorScope"/>, so its tensors go back to the pool at once.
/// </summary>
internal static class TokenLoop
{
    public static IReadOnlyList<Hypothesis> Run<TChooser>(IIncrementalDecoder decoder, IDecoderState state, Tensor prompt, int maxLength,
        long eosId, long? padId, TChooser chooser) where TChooser : ITokenChooser
    {
        DecodeArgs.Check(decoder, state, prompt, maxLength);
        int b = state.BatchSize;
        var tokens = new List<long>[b];
        var scores = new double[b];
        var finished = new bool[b];
        for (int i = 0; i < b; i++) tokens[i] = new List<long>(Math.Min(maxLength, 256));
        var active = Enumerable.Range(0, b).ToArray();   // state row r holds batch row active[r]
        var input = prompt;
        for (int step = 0; step < maxLength && active.Length > 0; step++)
        {
            using var scope = TensorScope.Begin();
            var logits = decoder.Step(state, input).Float().Contiguous();   // (R, V)
            var logp = DecodeArgs.LogProbs(logits, padId);
            int v = logits.Size(1);
            ReadOnlySpan<float> logitRows = logits.Span<float>(), logpRows = logp.Span<float>();
            var next = new long[active.Length];
            int going = 0;
            for (int r = 0; r < active.Length; r++)
            {
                int token = chooser.Choose(logitRows.Slice(r * v, v), logpRows.Slice(r * v, v));
                int row = active[r];
                tokens[row].Add(token);
                scores[row] += logpRows[r * v + token];
                next[r] = token;
                if (token == eosId) finished[row] = true;
                else going++;
            }
            if (step + 1 == maxLength || going == 0) break;
            if (going < active.Length)
            {
                var keep = new int[going];
                for (int r = 0, k = 0; r < active.Length; r++)
                    if (!finished[active[r]]) keep[k++] = r;
                state.Reorder(keep);
                active = Array.ConvertAll(keep, r => active[r]);
                next = Array.ConvertAll(keep, r => next[r]);
            }
            input = Tensor.FromArray(next, next.Length, 1).DetachFromScope();
        }
        return [.. Enumerable.Range(0, b).Select(i => new Hypothesis(tokens[i].AsReadOnly(), scores[i], scores[i], finished[i]))];
    }
}
