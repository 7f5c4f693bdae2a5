using SharpAttention.NN;

namespace SharpAttention.IO;

/// <summary>
/// Saves and loads a module's state dict as a safetensors file under its PyTorch keys, so the file opens in torch
/// with <c>safetensors.torch.load_file</c> + <c>load_state_dict</c> (or <c>load_model</c>), and a file saved by torch
/// loads here.
/// </summary>
public static class ModuleSafeTensors
{
    /// <summary>Writes <see cref="Module.StateDict"/> (float32 as F32, …) to <paramref name="path"/> atomically. The metadata
    /// gets "format": "pt" unless it says otherwise, as Hugging Face loaders expect. Tied tensors are written under each key.</summary>
    public static void SaveSafetensors(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata != null)
            foreach (var (k, v) in metadata) meta[k] = v;
        SafeTensorsTensor.Save(path, module.StateDict(), meta);
    }

    /// <summary>
    /// Loads a safetensors state dict into <paramref name="module"/> in place, with <see cref="Module.LoadStateDict"/>'s
    /// rules (every problem reported at once and nothing changed; non-strict returns what was skipped). The file is
    /// memory-mapped and each tensor converted (F16/BF16/F64 to the parameter's dtype) and copied on its own, so memory
    /// peaks at the model plus its largest tensor. Before anything is copied, each tensor must be of its target's kind
    /// (float, integer, bool) and, with <paramref name="checkFinite"/> (the default), hold no NaN or infinity.
    /// Returns the file's metadata beside the load result.
    /// </summary>
    /// <exception cref="SafeTensorsFormatException">the file is not valid safetensors, or its weights are not usable.</exception>
    /// <exception cref="StateDictException">keys or shapes do not fit the module.</exception>
    public static (LoadStateDictResult Result, IReadOnlyDictionary<string, string> Metadata) LoadSafetensors(this Module module, string path,
                                                                                                          bool strict = true, bool checkFinite = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var file = SafeTensors.ReadMapped(path);
        foreach (var (key, target) in module.StateDict())
        {
            if (!file.TryGet(key, out var entry)) continue;   // LoadStateDictLazy reports missing keys
            WeightChecks.ThrowIfKindDiffers(entry, target);
            if (checkFinite) WeightChecks.ThrowIfNotFinite(entry);
        }
        var result = module.LoadStateDictLazy(file.Entries.Select(e => e.Name),
            key => file.TryGet(key, out var e) ? e.Shape : null, key => file[key].ToTensor(), strict);
        return (result, file.Metadata);
    }
}
