using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpAttention.Tasks;

/// <summary>How a task's recipe record reads and writes JSON (recipe.json, and the CLI's --config): snake_case keys,
/// unknown keys refused, comments and trailing commas allowed in what users write.</summary>
public static class RecipeJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };
}
