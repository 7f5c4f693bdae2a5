namespace SharpAttention.Tasks.Classification;

// Explaining an ensemble: its members tokenize a text differently, so their pooling weights and evidence meet on the
// text's characters.
public sealed partial class TextClassifier
{
    /// <summary>
    /// The ensemble's prediction, and its members' pooling weights and evidence (each member's integrated gradients for
    /// the ensemble's label against the ensemble's runner-up) averaged per character: a token's value is spread evenly
    /// over its characters, the members' per-character values are averaged, and the result is summed back over the
    /// first member's tokens (each character counted once, in the first token covering it). The wrapping tokens, which
    /// have no characters, get the mean of the members' values at the same place. So weights still sum to 1 and
    /// evidence to the members' mean margin; characters the first member truncated are not shown.
    /// </summary>
    ClassExplanation ExplainEnsemble(string text)
    {
        var logits = Logits([text]).To(Tensors.DType.Float64).ToDoubleArray();
        var prediction = Prediction(logits);
        var (best, second) = Contrast(prediction);
        var weight = new double[text.Length];
        var evidence = new double[text.Length];
        var wrapping = new List<(double Weight, double Evidence)>[members.Length];
        (string Token, int Start, int End, double Weight, double Evidence)[] firstTokens = [];
        for (int m = 0; m < members.Length; m++)
        {
            var member = members[m];
            var (batch, _, w) = member.ForwardOne(text);
            wrapping[m] = [];
            var memberTokens = member.Attribute(text, batch, w, best, second);
            if (m == 0) firstTokens = memberTokens;
            foreach (var (_, start, end, tokenWeight, tokenEvidence) in memberTokens)
            {
                if (end <= start) wrapping[m].Add((tokenWeight, tokenEvidence));
                for (int c = start; c < end; c++)
                {
                    weight[c] += tokenWeight / (end - start) / members.Length;
                    evidence[c] += tokenEvidence / (end - start) / members.Length;
                }
            }
        }
        var claimed = new bool[text.Length];
        int special = 0;
        var tokens = firstTokens.Select(token =>
        {
            var (name, start, end, _, _) = token;
            if (end <= start)
            {
                int at = special++;
                var same = wrapping.Where(list => at < list.Count).Select(list => list[at]).ToArray();
                return (name, start, end, same.Average(v => v.Weight), same.Average(v => v.Evidence));
            }
            double w = 0, e = 0;
            for (int c = start; c < end; c++)
                if (!claimed[c]) (claimed[c], w, e) = (true, w + weight[c], e + evidence[c]);
            return (name, start, end, w, e);
        }).ToArray();
        return new ClassExplanation(prediction, second < 0 ? null : Labels[second], tokens);
    }
}
