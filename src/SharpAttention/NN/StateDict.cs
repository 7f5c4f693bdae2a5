namespace SharpAttention.NN;

/// <summary>What a non-strict <see cref="Module.LoadStateDict"/> skipped (torch's _IncompatibleKeys): keys the
/// module has but the dict lacks (their values were kept), and keys the dict has but the module lacks (ignored).</summary>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>A state dict that does not fit a module. Lists every problem at once, worded as torch words them;
/// the module was not changed.</summary>
public sealed class StateDictException(string module, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
                                       IReadOnlyList<string> sizeMismatches)
    : Exception(Describe(module, missingKeys, unexpectedKeys, sizeMismatches))
{
    public IReadOnlyList<string> MissingKeys { get; } = missingKeys;
    public IReadOnlyList<string> UnexpectedKeys { get; } = unexpectedKeys;

    /// <summary>One sentence per mis-shaped key, naming both shapes.</summary>
    public IReadOnlyList<string> SizeMismatches { get; } = sizeMismatches;

    static string Describe(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> sizes)
    {
        var lines = new List<string>();
        if (unexpected.Count > 0) lines.Add("Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
        if (missing.Count > 0) lines.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
        lines.AddRange(sizes.Select(s => s + "."));
        return $"Error(s) in loading state_dict for {module}:\n\t" + string.Join("\n\t", lines);
    }
}
