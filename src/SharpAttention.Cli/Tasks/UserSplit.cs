using SharpAttention.Cli.Contract;
using SharpAttention.Data;

namespace SharpAttention.Cli.Tasks;

/// <summary>
/// How a task's train, validation and test parts come from the user's files: --data alone is cut by the recipe's
/// shares (train/valid/test or train/test); with --valid or --test given, --data gives the other two parts (the default
/// 80/10/10 becomes 90/10; a --split the user wrote must then have two shares); with both, --data is all training.
/// </summary>
public static class UserSplit
{
    /// <param name="all">the examples of --data</param>
    /// <param name="valid">the examples of --valid, or null</param>
    /// <param name="test">the examples of --test, or null</param>
    /// <param name="split">the recipe's shares, e.g. "80/10/10"</param>
    /// <param name="splitGiven">whether the user wrote --split</param>
    /// <param name="cut">cuts examples by shares (random or stratified, seeded)</param>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Valid, IReadOnlyList<T> Test) Parts<T>(IReadOnlyList<T> all, IReadOnlyList<T>? valid,
        IReadOnlyList<T>? test, string split, bool splitGiven, Func<IReadOnlyList<T>, double[], T[][]> cut)
    {
        if (valid != null && test != null)
        {
            if (splitGiven) throw new UsageException("--split has nothing to split: --valid and --test are both given");
            return (all, valid, test);
        }
        var shares = Splits.ParseFractions(split);
        string? given = valid != null ? "--valid" : test != null ? "--test" : null;
        if (given != null && shares.Length != 2)
        {
            if (splitGiven)
                throw new UsageException($"--split {Shown.Quote(split)} has {shares.Length} shares; with {given} given, --data splits into train/{(valid != null ? "test" : "valid")}: give 2, e.g. 90/10");
            shares = [0.9, 0.1];
        }
        if (given == null && shares.Length is not (2 or 3))
            throw new UsageException($"--split {Shown.Quote(split)} has {shares.Length} shares: give train/test (80/20) or train/valid/test (80/10/10)");
        var parts = cut(all, shares);
        return (valid, test, parts.Length) switch
        {
            (null, null, 3) => (parts[0], parts[1], parts[2]),
            (null, null, _) => (parts[0], [], parts[1]),
            (null, _, _) => (parts[0], parts[1], test!),
            _ => (parts[0], valid, parts[1]),
        };
    }

    /// <summary>Refuses a recipe's split key that is not shares summing to 1 (<see cref="ConfigKeyException"/> on "split").</summary>
    public static void CheckKey(string? split)
    {
        try
        {
            Splits.ParseFractions(split ?? "");
        }
        catch (FormatException e)
        {
            throw new ConfigKeyException(["split"], e.Message);
        }
    }
}
