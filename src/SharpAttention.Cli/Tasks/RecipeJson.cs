using System.Text.Json;

namespace SharpAttention.Cli.Tasks;

/// <summary>The library's recipe JSON settings (<see cref="SharpAttention.Tasks.RecipeJson"/>), which every task's
/// recipe record and --config use, so a recipe.json the library writes reads back here and the other way round.</summary>
public static class RecipeJson
{
    public static JsonSerializerOptions Options => SharpAttention.Tasks.RecipeJson.Options;
}
