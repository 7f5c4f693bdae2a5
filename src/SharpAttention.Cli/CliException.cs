namespace SharpAttention.Cli;

/// <summary>A problem the user can fix (a bad flag, a missing file, no network): printed as one clear message without
/// a stack trace, and the tool exits with <see cref="ExitCode"/> (1).</summary>
public class CliException(string message, Exception? inner = null) : Exception(message, inner)
{
    public virtual int ExitCode => 1;
}

/// <summary>The command line itself is wrong (an unknown flag, a missing argument, a value that is not a number or lies
/// outside its range): exit code 2, as getopt-style tools use it, so scripts can tell a typo from a failed run.</summary>
public sealed class UsageException(string message) : CliException(message)
{
    public override int ExitCode => 2;
}
