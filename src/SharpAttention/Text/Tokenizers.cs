using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// A folder carries its tokenizer in the Hugging Face layout: tokenizer_config.json (<see cref="TokenizerConfig"/>)
/// beside the vocabulary files of its kind — vocab.json (word, char; token → id), vocab.txt (wordpiece; line = id),
/// vocab.json + merges.txt (bpe). <see cref="Load(string)"/> gives back the exact tokenizer <see cref="Save(Tokenizer, string, TokenizerConfig)"/> was given.
/// </summary>
public static class Tokenizers
{
    public const string ConfigFile = "tokenizer_config.json", VocabJson = "vocab.json", VocabTxt = "vocab.txt", MergesTxt = "merges.txt";

    /// <summary>The vocabulary files of tokenizers that cannot hand their vocabulary back (Microsoft's WordPiece and
    /// BPE keep it private), remembered when this project creates them so <see cref="Save(Tokenizer, string, TokenizerConfig)"/> can write them again.</summary>
    static readonly ConditionalWeakTable<Tokenizer, Dictionary<string, byte[]>> sourceFiles = [];

    internal static T Remember<T>(T tokenizer, Dictionary<string, byte[]> files) where T : Tokenizer
    {
        sourceFiles.AddOrUpdate(tokenizer, files);
        return tokenizer;
    }

    /// <summary>Writes <paramref name="tokenizer"/> into <paramref name="dir"/> (created if needed). Word and char
    /// tokenizers write their own vocabulary (their lower-casing and pattern override the config's); a WordPiece or
    /// BPE tokenizer must come from this project (a trainer or <see cref="Load(string)"/>); a packaged one
    /// (<see cref="TokenizerConfig.TiktokenModel"/>) writes only the config. Every declared special token must be in
    /// the vocabulary.</summary>
    public static void Save(Tokenizer tokenizer, string dir, TokenizerConfig config)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(config);
        var files = new Dictionary<string, byte[]>();
        switch (tokenizer)
        {
            case WordLevelTokenizer word:
                Expect(config, TokenizerKind.Word, tokenizer);
                config = config with { DoLowerCase = word.LowerCase, Pattern = word.Pattern };
                files[VocabJson] = VocabJsonBytes(word.Tokens);
                break;
            case CharLevelTokenizer chars:
                Expect(config, TokenizerKind.Char, tokenizer);
                config = config with { DoLowerCase = chars.LowerCase };
                files[VocabJson] = VocabJsonBytes(chars.Tokens);
                break;
            default:
                if (config.TiktokenModel != null) break;
                if (!sourceFiles.TryGetValue(tokenizer, out var known))
                    throw new ArgumentException($"cannot save a {tokenizer.GetType().Name} this project did not create: its vocabulary is not readable; " +
                        "train it here, load it with Tokenizers.Load, or name a packaged model in TiktokenModel", nameof(tokenizer));
                files = known;
                break;
        }
        foreach (var (key, token) in config.SpecialTokens.Declared())
            if (SpecialTokenIds.TryFind(tokenizer, token) is null)
                throw new ArgumentException($"{key} '{token}' is not in the tokenizer's vocabulary", nameof(config));
        Directory.CreateDirectory(dir);
        foreach (var (name, bytes) in files) WriteAtomically(Path.Combine(dir, name), bytes);
        // The config last: a folder with a config is a complete one.
        WriteAtomically(Path.Combine(dir, ConfigFile), Encoding.UTF8.GetBytes(config.ToJson()));
    }

    /// <summary>Writes a trained byte-level BPE (<see cref="BpeTrainer"/>): vocab.json, merges.txt and the config,
    /// whose special tokens must be in the vocabulary.</summary>
    public static void Save(ByteLevelBpeModel model, string dir, TokenizerConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        Expect(config, TokenizerKind.Bpe, model.ToTokenizer());
        var tokens = new HashSet<string>(model.Vocabulary, StringComparer.Ordinal);
        foreach (var (key, token) in config.SpecialTokens.Declared())
            if (!tokens.Contains(token)) throw new ArgumentException($"{key} '{token}' is not in the BPE vocabulary", nameof(config));
        model.Save(dir);
        WriteAtomically(Path.Combine(dir, ConfigFile), Encoding.UTF8.GetBytes(config.ToJson()));
    }

    static void Expect(TokenizerConfig config, TokenizerKind kind, Tokenizer tokenizer)
    {
        if (config.Kind != kind)
            throw new ArgumentException($"config kind {TokenizerConfig.KindName(config.Kind)} does not match a {tokenizer.GetType().Name}", nameof(config));
    }

    /// <summary>Reads the folder's tokenizer_config.json.</summary>
    public static TokenizerConfig LoadConfig(string dir) => TokenizerConfig.Read(Path.Combine(dir, ConfigFile)).Config;

    /// <summary>The tokenizer saved in <paramref name="dir"/>. A missing or malformed file, an unknown kind or a
    /// declared special token the vocabulary lacks is a <see cref="TokenizerFormatException"/> naming file and line.</summary>
    public static Tokenizer Load(string dir) => Load(dir, out _);

    /// <summary><see cref="Load(string)"/>, also giving the config (special tokens, maximum length).</summary>
    public static Tokenizer Load(string dir, out TokenizerConfig config)
    {
        if (!Directory.Exists(dir)) throw new TokenizerFormatException(dir, null, "tokenizer folder does not exist");
        var configPath = Path.Combine(dir, ConfigFile);
        (config, var lines) = TokenizerConfig.Read(configPath);
        var specials = config.SpecialTokens;
        Tokenizer tokenizer;
        if (config.TiktokenModel is string model)
        {
            try { tokenizer = TiktokenTokenizer.CreateForModel(model); }
            catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException or IOException)
            {
                throw new TokenizerFormatException(configPath, lines["tiktoken_model"], $"tiktoken_model '{model}' cannot be loaded: {e.Message}", e);
            }
        }
        else
        {
            tokenizer = config.Kind switch
            {
                TokenizerKind.Word or TokenizerKind.Char => LoadLookup(dir, config, configPath, lines),
                TokenizerKind.WordPiece => LoadWordPiece(dir, config, configPath, lines),
                _ => LoadBpe(dir, config, configPath, lines),
            };
        }
        foreach (var (key, token) in specials.Declared())
            if (SpecialTokenIds.TryFind(tokenizer, token) is null)
                throw new TokenizerFormatException(configPath, LineOf(lines, key), $"{key} '{token}' is not in the vocabulary");
        return tokenizer;
    }

    static Tokenizer LoadLookup(string dir, TokenizerConfig config, string configPath, IReadOnlyDictionary<string, int> lines)
    {
        var path = Path.Combine(dir, VocabJson);
        var tokens = ReadVocabJson(path);
        var unk = config.SpecialTokens.Unk ?? throw new TokenizerFormatException(configPath, null, "a word or char tokenizer needs unk_token");
        if (!tokens.Contains(unk)) throw new TokenizerFormatException(configPath, LineOf(lines, "unk_token"), $"unk_token '{unk}' is not in {path}");
        var specials = config.SpecialTokens.Distinct().Where(tokens.Contains);
        try
        {
            return config.Kind == TokenizerKind.Word
                ? new WordLevelTokenizer(tokens, unk, specials, config.Pattern, config.DoLowerCase)
                : new CharLevelTokenizer(tokens, unk, specials, config.DoLowerCase);
        }
        catch (ArgumentException e)   // a pattern that is not a regular expression
        {
            throw new TokenizerFormatException(configPath, LineOf(lines, "pattern"), e.Message, e);
        }
    }

    /// <summary>vocab.json as a token list in id order; ids must be 0 … n−1, each once.</summary>
    static List<string> ReadVocabJson(string path)
    {
        if (!File.Exists(path)) throw new TokenizerFormatException(path, null, "file does not exist");
        var entries = BpeFiles.ReadVocab(path);
        var byId = new string?[entries.Count];
        foreach (var (token, id, line) in entries)
            byId[id < byId.Length ? id : throw new TokenizerFormatException(path, line,
                $"id {id} of '{token}' is outside 0..{byId.Length - 1}: a word or char vocabulary numbers its tokens 0 … n−1")] = token;
        return [.. byId.Select(t => t!)];
    }

    static Tokenizer LoadWordPiece(string dir, TokenizerConfig config, string configPath, IReadOnlyDictionary<string, int> lines)
    {
        var path = Path.Combine(dir, VocabTxt);
        if (!File.Exists(path)) throw new TokenizerFormatException(path, null, "file does not exist");
        var bytes = File.ReadAllBytes(path);
        var tokens = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var reader = new StringReader(new UTF8Encoding(false, true).GetString(bytes)))
            for (string? line; (line = reader.ReadLine()) != null;)
            {
                if (line.Length == 0) throw new TokenizerFormatException(path, tokens.Count + 1, "empty token");
                if (!seen.TryAdd(line, tokens.Count + 1)) throw new TokenizerFormatException(path, tokens.Count + 1, $"token '{line}' already on line {seen[line]}");
                tokens.Add(line);
            }
        foreach (var (key, token) in config.SpecialTokens.Declared())
            if (!seen.ContainsKey(token)) throw new TokenizerFormatException(configPath, LineOf(lines, key), $"{key} '{token}' is not in {path}");
        try
        {
            return WordPieceTrainer.CreateTokenizer(tokens, new WordPieceTrainerOptions
            {
                LowerCase = config.DoLowerCase,
                ContinuingSubwordPrefix = config.ContinuingSubwordPrefix,
                SpecialTokens = config.SpecialTokens,
            });
        }
        catch (ArgumentException e)   // Microsoft's BERT tokenizer wants its five special tokens in the vocabulary
        {
            throw new TokenizerFormatException(path, null, e.Message, e);
        }
    }

    /// <summary>A byte-level BPE (<see cref="ByteLevelBpe"/>); the declared special tokens are matched whole.</summary>
    static Tokenizer LoadBpe(string dir, TokenizerConfig config, string configPath, IReadOnlyDictionary<string, int> lines)
    {
        string vocabPath = Path.Combine(dir, VocabJson), mergesPath = Path.Combine(dir, MergesTxt);
        foreach (var path in (string[])[vocabPath, mergesPath])
            if (!File.Exists(path)) throw new TokenizerFormatException(path, null, "file does not exist");
        var ids = BpeFiles.ReadVocab(vocabPath).ToDictionary(e => e.Token, e => e.Id, StringComparer.Ordinal);
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, token) in config.SpecialTokens.Declared())
            specials[token] = ids.TryGetValue(token, out int id) ? id
                : throw new TokenizerFormatException(configPath, LineOf(lines, key), $"{key} '{token}' is not in {vocabPath}");
        return Remember(ByteLevelBpe.Load(vocabPath, mergesPath, specials),
            new() { [VocabJson] = File.ReadAllBytes(vocabPath), [MergesTxt] = File.ReadAllBytes(mergesPath) });
    }

    static int? LineOf(IReadOnlyDictionary<string, int> lines, string key) => lines.TryGetValue(key, out int line) ? line : null;

    static byte[] VocabJsonBytes(IReadOnlyList<string> tokens)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            for (int i = 0; i < tokens.Count; i++) json.WriteNumber(tokens[i], i);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    static void WriteAtomically(string path, byte[] bytes)
    {
        File.WriteAllBytes(path + ".tmp", bytes);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
