using System.Text.Json;

namespace SharpAttention.Text;

/// <summary>The four kinds of tokenizer a folder can carry.</summary>
public enum TokenizerKind
{
    /// <summary>Byte-level BPE (GPT-2): vocab.json + merges.txt.</summary>
    Bpe,
    /// <summary>WordPiece (BERT): vocab.txt.</summary>
    WordPiece,
    /// <summary>Word level (<see cref="WordLevelTokenizer"/>): vocab.json.</summary>
    Word,
    /// <summary>Character level (<see cref="CharLevelTokenizer"/>): vocab.json.</summary>
    Char,
}

/// <summary>
/// tokenizer_config.json: which tokenizer a folder holds and its special tokens, under Hugging Face's key names where
/// they exist (<c>tokenizer_class</c>, <c>unk_token</c> … <c>mask_token</c>, <c>do_lower_case</c>,
/// <c>model_max_length</c>) plus ours: <c>kind</c> (bpe | wordpiece | word | char), <c>pattern</c> (the word-level
/// pre-tokenizer), <c>continuing_subword_prefix</c> and <c>tiktoken_model</c> (a tokenizer Microsoft.ML.Tokenizers
/// ships, such as gpt2, which then needs no vocabulary files).
/// </summary>
public sealed record TokenizerConfig
{
    public TokenizerKind Kind { get; init; }
    public SpecialTokens SpecialTokens { get; init; } = new();

    /// <summary>Lower-case text before lookup (word, char; BERT's basic tokenization for wordpiece).</summary>
    public bool DoLowerCase { get; init; }

    /// <summary>Longest input the model takes, in tokens; null if unbounded.</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>Word level: the regular expression a word matches.</summary>
    public string Pattern { get; init; } = WordLevelTokenizer.DefaultPattern;

    /// <summary>WordPiece: the prefix of a piece that continues a word.</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";

    /// <summary>A model name for <c>TiktokenTokenizer.CreateForModel</c> (e.g. gpt2); null for our own files.</summary>
    public string? TiktokenModel { get; init; }

    internal static string KindName(TokenizerKind kind) => kind switch
    {
        TokenizerKind.Bpe => "bpe",
        TokenizerKind.WordPiece => "wordpiece",
        TokenizerKind.Word => "word",
        _ => "char",
    };

    /// <summary>Parses a kind name (bpe | wordpiece | word | char); null if it is none of them.</summary>
    public static TokenizerKind? ParseKind(string? name) => name switch
    {
        "bpe" => TokenizerKind.Bpe,
        "wordpiece" => TokenizerKind.WordPiece,
        "word" => TokenizerKind.Word,
        "char" => TokenizerKind.Char,
        _ => null,
    };

    /// <summary>Hugging Face's class for the kind, so transformers recognises BERT and GPT-2 folders.</summary>
    static string ClassName(TokenizerKind kind) => kind switch
    {
        TokenizerKind.Bpe => "GPT2Tokenizer",
        TokenizerKind.WordPiece => "BertTokenizer",
        TokenizerKind.Word => "WordLevelTokenizer",
        _ => "CharLevelTokenizer",
    };

    /// <summary>A Hugging Face folder written elsewhere names a class, not a kind.</summary>
    static TokenizerKind? KindOfClass(string? name) => name switch
    {
        "BertTokenizer" or "BertTokenizerFast" or "DistilBertTokenizer" or "DistilBertTokenizerFast" => TokenizerKind.WordPiece,
        "GPT2Tokenizer" or "GPT2TokenizerFast" or "RobertaTokenizer" or "RobertaTokenizerFast" => TokenizerKind.Bpe,
        "WordLevelTokenizer" => TokenizerKind.Word,
        "CharLevelTokenizer" => TokenizerKind.Char,
        _ => null,
    };

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("kind", KindName(Kind));
            json.WriteString("tokenizer_class", ClassName(Kind));
            foreach (var (key, token) in SpecialTokens.Declared()) json.WriteString(key, token);
            json.WriteBoolean("do_lower_case", DoLowerCase);
            if (ModelMaxLength is int max) json.WriteNumber("model_max_length", max);
            if (Kind == TokenizerKind.Word) json.WriteString("pattern", Pattern);
            if (Kind == TokenizerKind.WordPiece) json.WriteString("continuing_subword_prefix", ContinuingSubwordPrefix);
            if (TiktokenModel != null) json.WriteString("tiktoken_model", TiktokenModel);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Reads tokenizer_config.json; a malformed file or value names the file and line. Keys this project does
    /// not use (Hugging Face writes many) are ignored.</summary>
    internal static (TokenizerConfig Config, IReadOnlyDictionary<string, int> Lines) Read(string path)
    {
        var entries = JsonLines.ReadObject(path);
        string? Text(string key) => entries.TryGetValue(key, out var e) ? e.Value.ValueKind switch
        {
            JsonValueKind.String => e.Value.GetString(),
            JsonValueKind.Null => null,
            // HF writes added tokens as {"content": "[CLS]", …}.
            JsonValueKind.Object when e.Value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => throw new TokenizerFormatException(path, e.Line, $"{key} must be a string, got {e.Value.ValueKind}"),
        } : null;
        bool Flag(string key) => entries.TryGetValue(key, out var e) && e.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFormatException(path, e.Line, $"{key} must be true or false, got {e.Value.ValueKind}"),
        };
        TokenizerKind kind;
        if (entries.TryGetValue("kind", out var kindEntry))
            kind = ParseKind(Text("kind")) ?? throw new TokenizerFormatException(path, kindEntry.Line,
                $"unknown tokenizer kind '{Text("kind")}'; expected bpe, wordpiece, word or char");
        else if (entries.TryGetValue("tokenizer_class", out var classEntry))
            kind = KindOfClass(Text("tokenizer_class")) ?? throw new TokenizerFormatException(path, classEntry.Line,
                $"tokenizer_class '{Text("tokenizer_class")}' is not one this project reads; add \"kind\": bpe, wordpiece, word or char");
        else throw new TokenizerFormatException(path, null, "names no tokenizer: add \"kind\": bpe, wordpiece, word or char");
        int? maxLength = null;
        if (entries.TryGetValue("model_max_length", out var m))
            // HF writes a huge float (1e30) for "no limit".
            maxLength = m.Value.ValueKind == JsonValueKind.Number
                ? (m.Value.TryGetInt32(out int n) ? n : null)
                : throw new TokenizerFormatException(path, m.Line, $"model_max_length must be a number, got {m.Value.ValueKind}");
        var config = new TokenizerConfig
        {
            Kind = kind,
            SpecialTokens = new SpecialTokens
            {
                Pad = Text("pad_token"), Bos = Text("bos_token"), Eos = Text("eos_token"), Unk = Text("unk_token"),
                Cls = Text("cls_token"), Sep = Text("sep_token"), Mask = Text("mask_token"),
            },
            DoLowerCase = Flag("do_lower_case"),
            ModelMaxLength = maxLength,
            Pattern = Text("pattern") ?? WordLevelTokenizer.DefaultPattern,
            ContinuingSubwordPrefix = Text("continuing_subword_prefix") ?? "##",
            TiktokenModel = Text("tiktoken_model"),
        };
        return (config, entries.ToDictionary(kv => kv.Key, kv => kv.Value.Line));
    }
}
