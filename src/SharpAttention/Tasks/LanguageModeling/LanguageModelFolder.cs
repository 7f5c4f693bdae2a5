using System.Text.Json.Nodes;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>
/// config.json of a language-model folder, Hugging Face style (<c>architectures</c>, snake_case fields, <c>n_ctx</c>'s
/// role played by <c>context</c>, <c>eos_token_id</c>): the decoder's shape and how it was trained to read text. The
/// folder also holds model.safetensors (PyTorch names), the tokenizer files, and the run's token files under data/.
/// </summary>
public static class LanguageModelFolder
{
    public const string Architecture = "CausalLanguageModel";
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", ResultsFile = "results.json";

    /// <summary>Whether <paramref name="dir"/>'s config.json names the architecture.</summary>
    public static bool Holds(string dir)
    {
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["architectures"]?.AsArray().Any(a => a?.GetValue<string>() == Architecture) == true;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    public static void WriteConfig(string dir, CausalLMConfig c, int context, int? eosId)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture),
            ["model_type"] = "sharpattention-causal-lm",
            ["vocab_size"] = c.VocabSize,
            ["d_model"] = c.DModel,
            ["num_heads"] = c.NumHeads,
            ["num_kv_heads"] = c.NumKvHeads,
            ["num_layers"] = c.NumLayers,
            ["dim_feedforward"] = c.DimFeedforward,
            ["max_len"] = c.MaxLen,
            ["dropout"] = c.Dropout,
            ["positions"] = c.Positions.ToString().ToLowerInvariant(),
            ["rope_base"] = c.RopeBase,
            ["activation"] = c.Activation.ToString().ToLowerInvariant(),
            ["norm"] = c.Norm.ToString().ToLowerInvariant(),
            ["norm_eps"] = c.NormEps,
            ["bias"] = c.Bias,
            ["tie_word_embeddings"] = c.TieWeights,
            ["init_std"] = c.InitStd,
            ["context"] = context,
            ["eos_token_id"] = eosId,
        };
        ModelConfigJson.Write(Path.Combine(dir, ConfigFile), json);
    }

    /// <exception cref="Data.DataFormatException">a field is missing or of the wrong kind.</exception>
    public static (CausalLMConfig Config, int Context, int? EosId) ReadConfig(string dir)
    {
        var j = ModelConfigJson.Read(Path.Combine(dir, ConfigFile), "language model");
        var config = new CausalLMConfig(j.Get<int>("vocab_size"))
        {
            DModel = j.Get<int>("d_model"), NumHeads = j.Get<int>("num_heads"), NumKvHeads = j.GetOptional<int>("num_kv_heads"),
            NumLayers = j.Get<int>("num_layers"), DimFeedforward = j.Get<int>("dim_feedforward"), MaxLen = j.Get<int>("max_len"),
            Dropout = j.Get<double>("dropout"), Positions = j.Enum<PositionEncoding>("positions"), RopeBase = j.Get<double>("rope_base"),
            Activation = j.Enum<Activation>("activation"), Norm = j.Enum<NormKind>("norm"), NormEps = j.Get<double>("norm_eps"),
            Bias = j.Get<bool>("bias"), TieWeights = j.Get<bool>("tie_word_embeddings"), InitStd = j.Get<double>("init_std"),
        };
        return (config, j.Get<int>("context"), j.GetOptional<int>("eos_token_id"));
    }
}
