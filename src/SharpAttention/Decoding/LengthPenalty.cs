namespace SharpAttention.Decoding;

/// <summary>How <see cref="BeamSearch"/> divides a hypothesis' summed log-probability by a function of its length
/// (len = generated tokens, the end token included), so longer hypotheses are not ruled out merely for having
/// more negative terms. α = 0 ranks by the plain sum either way.</summary>
public enum LengthPenaltyForm
{
    /// <summary>GNMT's lp = ((5 + len) / 6)^α (Wu et al. 2016, eq. 14); the default, as in fairseq-style toolkits
    /// that follow the Transformer paper's α = 0.6.</summary>
    Gnmt,

    /// <summary>lp = len^α (Hugging Face's length_penalty).</summary>
    Power,
}

internal static class LengthPenalties
{
    public static double Of(LengthPenaltyForm form, double alpha, int length) =>
        alpha == 0 ? 1 : form == LengthPenaltyForm.Gnmt ? Math.Pow((5.0 + length) / 6.0, alpha) : Math.Pow(length, alpha);
}
