using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.IO;

namespace SharpAttention.Training;

/// <summary>
/// <c>trainer_state.json</c> in a model folder (Hugging Face's Trainer keeps one by that name): whether the run that
/// writes the folder finished, and how far it got. A run marks it unfinished when it starts and finished only when
/// training has ended and the final weights are saved, so a folder left by a killed run — whose model.safetensors
/// may be untrained — says so.
/// </summary>
public sealed record TrainerState(bool Finished, long GlobalStep, long MaxSteps)
{
    public const string FileName = "trainer_state.json";

    public void Save(string folder) =>
        AtomicFile.WriteAllText(Path.Combine(folder, FileName),
            new JsonObject { ["finished"] = Finished, ["global_step"] = GlobalStep, ["max_steps"] = MaxSteps }.ToJsonString() + "\n");

    /// <summary>The folder's state, or null when it has none (a folder written before the file existed, or by hand).</summary>
    /// <exception cref="InvalidDataException">the file is not what <see cref="Save"/> writes.</exception>
    public static TrainerState? Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw Malformed(path, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("finished", out var finished)
                && finished.ValueKind is JsonValueKind.True or JsonValueKind.False
                && Count(root, "global_step") is { } step && Count(root, "max_steps") is { } max)
                return new TrainerState(finished.GetBoolean(), step, max);
            throw Malformed(path, null);
        }
    }

    static long? Count(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) && n >= 0 ? n : null;

    static InvalidDataException Malformed(string path, Exception? inner) =>
        new($"'{path}' is not a trainer state (expected {{\"finished\": true|false, \"global_step\": N, \"max_steps\": N}})", inner);
}
