using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.IO;

namespace SharpAttention.Text;

/// <summary>
/// tokenizer.json, Hugging Face tokenizers' one-file form, for a folder's byte-level BPE (vocab.json + merges.txt):
/// the readers that take no vocab.json/merges.txt pair — ONNX Runtime GenAI's tokenizer (onnxruntime-extensions),
/// transformers' PreTrainedTokenizerFast — load it. The same tokenizer: GPT-2's byte-level pre-tokenizer with its
/// regular expression (<see cref="ByteLevelBpe.Gpt2Pattern"/>), the merges in rank order, the declared special tokens
/// as added tokens matched before pre-tokenization, and a byte-level decoder.
/// </summary>
public static class TokenizerJson
{
    public const string FileName = "tokenizer.json";

    /// <summary>Whether <paramref name="dir"/> holds a tokenizer this file can express: a BPE (not a packaged tiktoken model).</summary>
    public static bool CanWrite(string dir)
    {
        if (!File.Exists(Path.Combine(dir, Tokenizers.ConfigFile))) return false;
        var config = Tokenizers.LoadConfig(dir);
        return config.Kind == TokenizerKind.Bpe && config.TiktokenModel is null
            && File.Exists(Path.Combine(dir, Tokenizers.VocabJson)) && File.Exists(Path.Combine(dir, Tokenizers.MergesTxt));
    }

    /// <summary>Writes tokenizer.json for the BPE in <paramref name="dir"/> into <paramref name="destination"/>
    /// (atomically) and returns its path.</summary>
    /// <exception cref="ArgumentException">the folder's tokenizer is not a byte-level BPE.</exception>
    /// <exception cref="TokenizerFormatException">its files are malformed (file and line named).</exception>
    public static string Write(string dir, string destination)
    {
        if (!CanWrite(dir))
            throw new ArgumentException($"tokenizer.json: {dir} holds no byte-level BPE (tokenizer_config.json, vocab.json and merges.txt)");
        var config = Tokenizers.LoadConfig(dir);
        string vocabPath = Path.Combine(dir, Tokenizers.VocabJson);
        var entries = BpeFiles.ReadVocab(vocabPath);
        var ids = entries.ToDictionary(e => e.Token, e => e.Id, StringComparer.Ordinal);
        var merges = BpeFiles.ReadMerges(Path.Combine(dir, Tokenizers.MergesTxt), ids, vocabPath);

        var vocab = new JsonObject();
        foreach (var e in entries.OrderBy(e => e.Id)) vocab[e.Token] = e.Id;
        var added = new JsonArray();
        foreach (var token in config.SpecialTokens.Distinct().Where(ids.ContainsKey).OrderBy(t => ids[t]))
            added.Add(new JsonObject
            {
                ["id"] = ids[token], ["content"] = token, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = ByteLevel(),
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create(m.Left + " " + m.Right))]),
            },
        };
        Directory.CreateDirectory(destination);
        var path = Path.Combine(destination, FileName);
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        AtomicFile.WriteAllText(path, json.ToJsonString(options) + "\n");
        return path;
    }
}
