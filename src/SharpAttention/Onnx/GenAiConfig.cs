using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.IO;
using SharpAttention.Models;

namespace SharpAttention.Onnx;

/// <summary>
/// genai_config.json, the file ONNX Runtime GenAI (Microsoft.ML.OnnxRuntimeGenAI) reads beside a decoder graph, for a
/// <see cref="CausalLanguageModel"/> exported by <see cref="OnnxExport"/>. Field names follow GenAI's Config
/// (src/config.h of microsoft/onnxruntime-genai). The model type is "decoder", GenAI's generic decoder-only type:
/// "gpt2" would make GenAI expect one combined past per layer ("past_%d") where our graph has Optimum's separate key and
/// value, and no other type changes how GenAI drives the graph (positions and norms live inside it). The cache is not
/// shared between past and present (past_present_share_buffer false): present is past with the new positions appended.
/// </summary>
public static class GenAiConfig
{
    public const string FileName = "genai_config.json";

    /// <summary>The longest sequence the graph accepts: the rows of the learned or sinusoidal position table, and the
    /// same bound for RoPE (which has none) so that GenAI's default max_length stays within what the model saw.</summary>
    public static int ContextLength(CausalLanguageModel model) => model.Config.MaxLen;

    /// <summary>The config for the graph at <paramref name="onnxFileName"/> (a name relative to the config's folder).</summary>
    /// <exception cref="ArgumentException">an option is out of range (one line naming it).</exception>
    public static JsonObject Build(CausalLanguageModel model, string onnxFileName, GenAiOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(onnxFileName);
        ArgumentNullException.ThrowIfNull(options);
        var config = model.Config;
        int context = ContextLength(model);
        options.Validate(config.VocabSize, context);
        int eos = options.EosTokenId;
        var attn = model.Layers.Count > 0 ? model.Layers[0].SelfAttn : null;
        return new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["type"] = "decoder",
                ["bos_token_id"] = options.BosTokenId ?? eos,
                ["eos_token_id"] = eos,
                ["pad_token_id"] = options.PadTokenId ?? eos,
                ["context_length"] = context,
                ["vocab_size"] = config.VocabSize,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxruntime-genai", ["provider_options"] = new JsonArray() },
                    ["filename"] = onnxFileName,
                    ["hidden_size"] = config.DModel,
                    ["num_attention_heads"] = config.NumHeads,
                    ["num_key_value_heads"] = attn?.NumKvHeads ?? config.NumKvHeads ?? config.NumHeads,
                    ["head_size"] = attn?.HeadDim ?? config.DModel / config.NumHeads,
                    ["num_hidden_layers"] = model.Layers.Count,
                    ["inputs"] = new JsonObject
                    {
                        ["input_ids"] = CausalLmGraph.InputIds,
                        ["attention_mask"] = CausalLmGraph.AttentionMask,
                        ["position_ids"] = CausalLmGraph.PositionIds,
                        ["past_key_names"] = CausalLmGraph.PastKey("%d"),
                        ["past_value_names"] = CausalLmGraph.PastValue("%d"),
                    },
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = CausalLmGraph.Logits,
                        ["present_key_names"] = CausalLmGraph.PresentKey("%d"),
                        ["present_value_names"] = CausalLmGraph.PresentValue("%d"),
                    },
                },
            },
            ["search"] = new JsonObject
            {
                ["do_sample"] = options.DoSample,
                ["max_length"] = options.MaxLength ?? context,
                ["min_length"] = 0,
                ["num_beams"] = 1,
                ["num_return_sequences"] = 1,
                ["past_present_share_buffer"] = false,
                ["repetition_penalty"] = 1.0,
                ["temperature"] = options.Temperature,
                ["top_k"] = options.TopK,
                ["top_p"] = options.TopP,
            },
        };
    }

    /// <summary>Writes genai_config.json beside <paramref name="onnxPath"/> (atomically) and returns its path.</summary>
    /// <exception cref="ArgumentException">an option is out of range (one line naming it).</exception>
    public static string Write(CausalLanguageModel model, string onnxPath, GenAiOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        var full = Path.GetFullPath(onnxPath);
        var json = Build(model, Path.GetFileName(full), options);
        var path = Path.Combine(Path.GetDirectoryName(full)!, FileName);
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }
}
