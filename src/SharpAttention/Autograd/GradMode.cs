namespace SharpAttention.Autograd;

/// <summary>Whether operations are recorded for autograd (PyTorch's torch.no_grad()). The mode belongs to the
/// current async flow (an <see cref="AsyncLocal{T}"/>), not to a thread: a scope that awaits keeps its mode when the
/// continuation resumes on another thread, and never leaks into other tasks that happen to run on its thread.
/// Tasks started inside a scope inherit its mode.</summary>
public static class GradMode
{
    static readonly AsyncLocal<bool> Disabled = new();

    public static bool IsEnabled => !Disabled.Value;

    /// <summary>Disables recording until the returned scope is disposed: <c>using (GradMode.NoGrad()) { ... }</c>.</summary>
    public static Scope NoGrad() => new(enabled: false);

    /// <summary>Re-enables recording inside a no-grad region.</summary>
    public static Scope EnableGrad() => new(enabled: true);

    /// <summary>Restores the previous mode when disposed. Setting an AsyncLocal allocates, so a scope that does not
    /// change the mode (nested no-grad, as in backward) writes nothing.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly bool previousDisabled;

        internal Scope(bool enabled)
        {
            previousDisabled = Disabled.Value;
            bool disabled = !enabled;
            if (disabled != previousDisabled) Disabled.Value = disabled;
        }

        public void Dispose()
        {
            if (Disabled.Value != previousDisabled) Disabled.Value = previousDisabled;
        }
    }
}
