namespace SharpAttention.Autograd;

/// <summary>Whether operations are recorded for autograd on the current thread (PyTorch's torch.no_grad()).</summary>
public static class GradMode
{
    [ThreadStatic] static bool disabled;

    public static bool IsEnabled => !disabled;

    /// <summary>Disables recording until the returned scope is disposed: <c>using (GradMode.NoGrad()) { ... }</c>.</summary>
    public static Scope NoGrad() => new(enabled: false);

    /// <summary>Re-enables recording inside a no-grad region.</summary>
    public static Scope EnableGrad() => new(enabled: true);

    /// <summary>Restores the previous mode when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly bool previousDisabled;

        internal Scope(bool enabled)
        {
            previousDisabled = disabled;
            disabled = !enabled;
        }

        public void Dispose() => disabled = previousDisabled;
    }
}
