using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// Several models decoding as one (fairseq's EnsembleModel): each step feeds the same tokens to every member and
/// returns the log of the members' averaged next-token probabilities, log((1/M) Σ_m softmax(logits_m)). Any decoding
/// algorithm takes it like a single model. The members must share the output vocabulary; each keeps its own state
/// (caches), which <see cref="EnsembleState"/> steps and reorders together.
/// </summary>
public sealed class EnsembleDecoder : IIncrementalDecoder
{
    readonly IIncrementalDecoder[] members;

    /// <param name="members">one or more models with the same vocabulary size</param>
    public EnsembleDecoder(IReadOnlyList<IIncrementalDecoder> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("EnsembleDecoder: at least one member is needed", nameof(members));
        for (int m = 0; m < members.Count; m++)
        {
            if (members[m] is null) throw new ArgumentNullException(nameof(members), $"EnsembleDecoder: member {m} is null");
            if (members[m].VocabSize != members[0].VocabSize)
                throw new ArgumentException($"EnsembleDecoder: member {m} has vocabulary size {members[m].VocabSize}, member 0 has {members[0].VocabSize}",
                                            nameof(members));
        }
        this.members = [.. members];
    }

    public IReadOnlyList<IIncrementalDecoder> Members => members;

    public int VocabSize => members[0].VocabSize;

    public int MaxLength => members.Min(m => m.MaxLength);

    /// <summary>A state over the members' fresh states, one per member in member order, all with the same rows.</summary>
    public EnsembleState Begin(IReadOnlyList<IDecoderState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count != members.Length)
            throw new ArgumentException($"EnsembleDecoder: {states.Count} states for {members.Length} members", nameof(states));
        for (int m = 0; m < states.Count; m++)
        {
            if (states[m] is null) throw new ArgumentNullException(nameof(states), $"EnsembleDecoder: state {m} is null");
            if (states[m].BatchSize != states[0].BatchSize || states[m].Length != states[0].Length)
                throw new ArgumentException($"EnsembleDecoder: state {m} has {states[m].BatchSize} rows at length {states[m].Length}, state 0 has " +
                                            $"{states[0].BatchSize} at {states[0].Length}", nameof(states));
        }
        return new EnsembleState(this, [.. states]);
    }

    /// <returns>float32 (B, V): log of the averaged probabilities (already normalised, so a log-softmax leaves it as it is)</returns>
    public Tensor Step(IDecoderState state, Tensor tokens)
    {
        if (state is not EnsembleState s || !ReferenceEquals(s.Owner, this))
            throw new ArgumentException("EnsembleDecoder: the state was not made by this ensemble's Begin", nameof(state));
        var logProbs = new Tensor[members.Length];
        for (int m = 0; m < members.Length; m++)
            logProbs[m] = DecodeArgs.LogProbs(members[m].Step(s.States[m], tokens), padId: null);   // (B, V), a new tensor
        return members.Length == 1 ? logProbs[0] : MeanProbability(logProbs);
    }

    /// <summary>log((1/M) Σ_m exp(lp_m)) element by element, summed member by member as log(e^a + e^b) = max + log(1 + e^(min − max)),
    /// so nothing underflows to −∞ unless every member gives the token probability 0.</summary>
    static Tensor MeanProbability(Tensor[] logProbs)
    {
        var result = logProbs[0];                                                  // (B, V), summed into in place
        var sum = result.Span<float>();
        for (int m = 1; m < logProbs.Length; m++)
        {
            ReadOnlySpan<float> lp = logProbs[m].Span<float>();
            for (int i = 0; i < sum.Length; i++)
            {
                float a = sum[i], b = lp[i], max = Math.Max(a, b);
                if (!float.IsNegativeInfinity(max)) sum[i] = max + MathF.Log(1 + MathF.Exp(Math.Min(a, b) - max));
            }
        }
        float logM = MathF.Log(logProbs.Length);
        for (int i = 0; i < sum.Length; i++) sum[i] -= logM;
        return result;
    }
}

/// <summary>An <see cref="EnsembleDecoder"/>'s state: one state per member, stepped and reordered together. Disposing
/// it disposes the members' states that are disposable.</summary>
public sealed class EnsembleState : IDecoderState, IDisposable
{
    internal EnsembleState(EnsembleDecoder owner, IDecoderState[] states) => (Owner, States) = (owner, states);

    internal EnsembleDecoder Owner { get; }

    internal IDecoderState[] States { get; }

    public int BatchSize => States[0].BatchSize;

    public int Length => States[0].Length;

    public void Reorder(ReadOnlySpan<int> rows)
    {
        foreach (var state in States) state.Reorder(rows);
    }

    public void Dispose()
    {
        foreach (var state in States) (state as IDisposable)?.Dispose();
    }
}
