using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Tensors;

namespace SharpAttention.Cli.Commands;

/// <summary>`--pool-limit SIZE` on every verb: the most idle tensor memory kept for reuse
/// (<see cref="StoragePool.MaxPooledBytes"/>; default a fraction of physical memory, or $SHARPATTENTION_POOL_LIMIT).</summary>
public static class PoolLimit
{
    public static Option<string?> Create() => new("--pool-limit")
    {
        Recursive = true,
        Description = $"most idle tensor memory kept for reuse, e.g. 256M or 1G (default {StoragePool.DefaultMaxPooledBytes >> 20}M, " +
                      $"1/16 of memory; also ${StoragePool.LimitVariable})",
    };

    public static void Apply(string? text)
    {
        if (text is null) return;
        StoragePool.MaxPooledBytes = StoragePool.ParseBytes(text)
            ?? throw new UsageException($"--pool-limit must be a byte count such as 536870912, 512M or 1G, got {Shown.Quote(text)}");
    }
}
