using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// Beam search (as in fairseq and Hugging Face): each source keeps its <c>beamWidth</c> best live prefixes; every
/// step extends them by every token, takes the 2·beamWidth best candidates, sets aside those ending in the end token
/// (if ranked within the first beamWidth) as finished hypotheses, and keeps the best beamWidth others live. A
/// source stops early once it holds beamWidth finished hypotheses and no live one can still beat the worst of them
/// (an exact bound: log-probabilities only fall, and the length penalty is monotone in the length); at the maximum
/// length the live prefixes join the finished ones unfinished. Hypotheses are ranked by Score / lp(length) (see
/// <see cref="LengthPenaltyForm"/>). Batched: B sources at once, their beams stacked as rows of one state, a source
/// that is done drops out. The state is consumed (its rows end up reordered).
/// </summary>
public static class BeamSearch
{
    /// <summary>Beam search from a start token per source (encoder-decoder models).</summary>
    /// <param name="decoder">the model</param>
    /// <param name="state">its fresh state, one row per source (e.g. Seq2SeqTransformer.BeginDecoding(src))</param>
    /// <param name="bosId">start token</param>
    /// <param name="maxLength">most new tokens per hypothesis, the end token included</param>
    /// <param name="eosId">end token</param>
    /// <param name="beamWidth">live hypotheses per source (K ≥ 1)</param>
    /// <param name="nBest">hypotheses returned per source, 1 ≤ nBest ≤ beamWidth</param>
    /// <param name="lengthPenalty">α of the length penalty (0: none)</param>
    /// <param name="lengthPenaltyForm">GNMT's ((5 + len) / 6)^α or len^α</param>
    /// <param name="padId">a token never produced, or null</param>
    /// <returns>per source, up to nBest hypotheses, best first by PenalizedScore</returns>
    public static IReadOnlyList<IReadOnlyList<Hypothesis>> Decode(IIncrementalDecoder decoder, IDecoderState state, long bosId, int maxLength,
        long eosId, int beamWidth = 4, int nBest = 1, double lengthPenalty = 0.0, LengthPenaltyForm lengthPenaltyForm = LengthPenaltyForm.Gnmt,
        long? padId = null) =>
        Decode(decoder, state, DecodeArgs.StartTokens(state, bosId), maxLength, eosId, beamWidth, nBest, lengthPenalty, lengthPenaltyForm, padId);

    /// <summary>Beam search after a prompt (B, P) of one length per row (decoder-only models); see the other overload.</summary>
    public static IReadOnlyList<IReadOnlyList<Hypothesis>> Decode(IIncrementalDecoder decoder, IDecoderState state, Tensor prompt, int maxLength,
        long eosId, int beamWidth = 4, int nBest = 1, double lengthPenalty = 0.0, LengthPenaltyForm lengthPenaltyForm = LengthPenaltyForm.Gnmt,
        long? padId = null)
    {
        if (beamWidth < 1) throw new ArgumentOutOfRangeException(nameof(beamWidth), beamWidth, "beam search: beamWidth must be at least 1");
        if (nBest < 1 || nBest > beamWidth)
            throw new ArgumentOutOfRangeException(nameof(nBest), nBest, $"beam search: nBest must lie in [1, beamWidth = {beamWidth}]");
        if (!double.IsFinite(lengthPenalty))
            throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty, "beam search: lengthPenalty must be finite");
        DecodeArgs.Check(decoder, state, prompt, maxLength);
        var search = new Search(beamWidth, maxLength, eosId, lengthPenalty, lengthPenaltyForm, state.BatchSize);
        search.Run(decoder, state, prompt, padId);
        return [.. search.Finished.Select(f => (IReadOnlyList<Hypothesis>)[.. f.Take(nBest)])];
    }

    /// <summary>A live prefix: its source, tokens so far and summed log-probability.</summary>
    readonly record struct Live(int Source, long[] Tokens, double Score);

    /// <summary>A candidate extension: state row, token, summed log-probability.</summary>
    readonly record struct Candidate(int Row, int Token, double Score);

    /// <summary>Orders candidates worst first: lower score, then (for ties) the later row and token.</summary>
    sealed class WorstFirst : IComparer<Candidate>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare(Candidate a, Candidate b)
        {
            int c = a.Score.CompareTo(b.Score);
            if (c != 0) return c;
            c = b.Row.CompareTo(a.Row);
            return c != 0 ? c : b.Token.CompareTo(a.Token);
        }
    }

    sealed class Search(int k, int maxLength, long eosId, double alpha, LengthPenaltyForm form, int sources)
    {
        /// <summary>Per source, finished hypotheses best first, at most k.</summary>
        public readonly List<Hypothesis>[] Finished = [.. Enumerable.Range(0, sources).Select(_ => new List<Hypothesis>())];

        public void Run(IIncrementalDecoder decoder, IDecoderState state, Tensor prompt, long? padId)
        {
            var live = Enumerable.Range(0, sources).Select(s => new Live(s, [], 0.0)).ToList();   // aligned with state rows
            var input = prompt;
            var heap = new PriorityQueue<Candidate, Candidate>(WorstFirst.Instance);
            for (int step = 0; step < maxLength && live.Count > 0; step++)
            {
                using var scope = TensorScope.Begin();
                var logp = DecodeArgs.LogProbs(decoder.Step(state, input), padId);   // (R, V)
                ReadOnlySpan<float> rows = logp.Span<float>();
                int v = logp.Size(1), length = step + 1;
                var next = new List<Live>();
                var parents = new List<int>();
                for (int r0 = 0, r1; r0 < live.Count; r0 = r1)
                {
                    int s = live[r0].Source;
                    for (r1 = r0; r1 < live.Count && live[r1].Source == s; r1++) { }
                    var candidates = Best(rows, v, live, r0, r1, 2 * k, heap);
                    int kept = next.Count, added = 0;
                    for (int rank = 0; rank < candidates.Length && added < k; rank++)
                    {
                        var c = candidates[rank];
                        long[] tokens = [.. live[c.Row].Tokens, c.Token];
                        if (c.Token == eosId)
                        {
                            if (rank < k) Add(s, new Hypothesis(tokens, c.Score, c.Score / Penalty(length), true));
                        }
                        else if (length == maxLength)
                        {
                            Add(s, new Hypothesis(tokens, c.Score, c.Score / Penalty(length), false));
                            added++;
                        }
                        else
                        {
                            next.Add(new Live(s, tokens, c.Score));
                            parents.Add(c.Row);
                            added++;
                        }
                    }
                    if (next.Count > kept && IsDone(s, next[kept].Score, length))
                    {
                        next.RemoveRange(kept, next.Count - kept);
                        parents.RemoveRange(kept, parents.Count - kept);
                    }
                }
                if (next.Count == 0) break;
                state.Reorder(parents.ToArray());
                live = next;
                var last = new long[live.Count];
                for (int i = 0; i < last.Length; i++) last[i] = live[i].Tokens[^1];
                input = Tensor.FromArray(last, last.Length, 1).DetachFromScope();
            }
        }

        double Penalty(int length) => LengthPenalties.Of(form, alpha, length);

        /// <summary>Whether no live prefix of source s (best score <paramref name="bestLive"/>, at
        /// <paramref name="length"/> tokens) can still enter its k finished hypotheses.</summary>
        bool IsDone(int s, double bestLive, int length)
        {
            var done = Finished[s];
            if (done.Count < k) return false;
            // Every continuation scores ≤ bestLive (≤ 0) and has length in [length + 1, maxLength]; lp is monotone in
            // the length, so the best penalized score lies at one end.
            double bound = Math.Max(bestLive / Penalty(length + 1), bestLive / Penalty(maxLength));
            return bound <= done[^1].PenalizedScore;
        }

        /// <summary>Inserts h among source s's finished hypotheses (after equals), keeping the best k.</summary>
        void Add(int s, Hypothesis h)
        {
            var done = Finished[s];
            int at = done.Count;
            while (at > 0 && done[at - 1].PenalizedScore < h.PenalizedScore) at--;
            if (at >= k) return;
            done.Insert(at, h);
            if (done.Count > k) done.RemoveAt(k);
        }

        /// <summary>The best <paramref name="n"/> extensions of live rows [r0, r1), best first (ties: earlier row, then
        /// lower token); −∞ candidates (the pad token, dead prefixes) are never taken.</summary>
        static Candidate[] Best(ReadOnlySpan<float> logp, int v, List<Live> live, int r0, int r1, int n, PriorityQueue<Candidate, Candidate> heap)
        {
            heap.Clear();
            for (int r = r0; r < r1; r++)
            {
                double score = live[r].Score;
                var row = logp.Slice(r * v, v);
                for (int t = 0; t < v; t++)
                {
                    var c = new Candidate(r, t, score + row[t]);
                    if (double.IsNegativeInfinity(c.Score) || double.IsNaN(c.Score)) continue;
                    if (heap.Count < n) heap.Enqueue(c, c);
                    else if (WorstFirst.Instance.Compare(c, heap.Peek()) > 0) heap.EnqueueDequeue(c, c);
                }
            }
            var best = new Candidate[heap.Count];
            for (int i = best.Length - 1; i >= 0; i--) best[i] = heap.Dequeue();
            return best;
        }
    }
}
