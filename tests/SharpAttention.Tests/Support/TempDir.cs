namespace SharpAttention.Tests.Support;

/// <summary>A fresh temporary folder, deleted with its content on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sa-test-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
