using System.Runtime.CompilerServices;
using Microsoft.ML.Tokenizers;
using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.Decoding;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>
/// Language modelling from C#: <see cref="Train"/> turns plain text into a model folder (tokenizer, decoder-only
/// Transformer, token files, results), <see cref="Load"/> reads one back, <see cref="Generate"/> and
/// <see cref="GenerateStreamingAsync"/> continue a prompt, <see cref="Perplexity"/> scores text with a sliding window,
/// and <see cref="SelfAttention"/> shows each layer's and head's causal attention over a text.
/// </summary>
public sealed partial class LanguageModel
{
    public CausalLanguageModel Model { get; }
    public Tokenizer Tokenizer { get; }

    /// <summary>Tokens per training block: the window perplexity uses by default.</summary>
    public int Context { get; }

    /// <summary>The end-of-text token that separates documents, or null when the model was trained without one.</summary>
    public int? EosId { get; }

    /// <summary>The padding token, never generated (it never occurs in training text), or null.</summary>
    public int? PadId { get; }

    LanguageModel(CausalLanguageModel model, Tokenizer tokenizer, int context, int? eosId)
    {
        (Model, Tokenizer, Context, EosId) = (model, tokenizer, context, eosId);
        PadId = SpecialTokenIds.TryFind(tokenizer, TaskTokenizer.Specials.Pad!);
        Model.Eval();
    }

    /// <summary>Reads a folder <see cref="Train"/> wrote.</summary>
    /// <exception cref="DataFormatException">config.json is missing or malformed.</exception>
    /// <exception cref="TokenizerFormatException">the tokenizer files are missing or malformed.</exception>
    public static LanguageModel Load(string dir)
    {
        var (config, context, eos) = LanguageModelFolder.ReadConfig(dir);
        var tokenizer = Tokenizers.Load(dir);
        var model = new CausalLanguageModel(config);
        model.LoadSafetensors(Path.Combine(dir, LanguageModelFolder.WeightsFile));
        return new LanguageModel(model, tokenizer, context, eos);
    }

    /// <summary>The model's perplexity on <paramref name="documents"/> (separated by the end-of-text token as in
    /// training), every token scored once with a sliding window of <see cref="Context"/> tokens moved by
    /// <paramref name="stride"/> (null: Context / 2).</summary>
    public PerplexityResult Perplexity(IEnumerable<string> documents, int? stride = null, int batchSize = 8)
    {
        var (ids, bytes) = CorpusTokens.Encode(documents, Tokenizer, EosId);
        return LanguageModeling.Perplexity.Evaluate(Model, ids, Context, stride ?? Math.Max(1, Context / 2), batchSize, bytes);
    }

    /// <summary>Continuations of <paramref name="prompt"/> (<see cref="GenerationOptions.NumReturnSequences"/> of them),
    /// without the prompt.</summary>
    public IReadOnlyList<string> Generate(string prompt, GenerationOptions? options = null)
    {
        options ??= new GenerationOptions();
        return [.. Enumerable.Range(0, options.NumReturnSequences).Select(i => string.Concat(GenerateStream(prompt, options, i)))];
    }

    /// <summary>The continuation of sample <paramref name="sample"/>, piece by piece as tokens are produced (a piece is
    /// held back while it ends inside a multi-byte character).</summary>
    public async IAsyncEnumerable<string> GenerateStreamingAsync(string prompt, GenerationOptions? options = null, int sample = 0,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var piece in GenerateStream(prompt, options ?? new GenerationOptions(), sample))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return piece;
            await Task.Yield();
        }
    }

    /// <summary>The synchronous form of <see cref="GenerateStreamingAsync"/>.</summary>
    public IEnumerable<string> GenerateStream(string prompt, GenerationOptions options, int sample = 0)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var (context, fed) = PromptIds(prompt, options.MaxNewTokens);
        var produced = new List<int>();
        string before = Tokenizer.Decode(context) ?? "";
        int emitted = 0;
        foreach (var token in GenerateTokens(fed, options, sample))
        {
            if (token.Id == EosId) break;
            produced.Add(token.Id);
            string text = (Tokenizer.Decode([.. context, .. produced]) ?? "")[before.Length..];
            if (text.Length > emitted && text[^1] != '\uFFFD')
            {
                yield return text[emitted..];
                emitted = text.Length;
            }
        }
    }

    /// <summary>The token ids of one continuation with the model's log-probability of each (the end-of-text token
    /// included when produced). Sampling, greedy or beam search as <paramref name="options"/> say.</summary>
    public IEnumerable<GeneratedToken> GenerateTokens(IReadOnlyList<long> prompt, GenerationOptions options, int sample = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxNewTokens, "generate: MaxNewTokens must be at least 1");
        if (!options.DoSample && options.NumBeams > 1) return Beam(prompt, options);
        var filter = options.DoSample ? new SamplingFilter(Model.Config.VocabSize, options.Temperature, options.TopK, options.TopP) : null;
        return Stream(prompt, options, filter, new Generator(Data.Shuffling.EpochSeed(options.Seed, sample)));
    }

    /// <summary>The cached generation, its KV cache handed back to the pool when the enumeration ends.</summary>
    IEnumerable<GeneratedToken> Stream(IReadOnlyList<long> prompt, GenerationOptions options, SamplingFilter? filter, Generator generator)
    {
        using var state = Model.BeginDecoding(1);
        foreach (var token in TokenStream.Generate(Model, state, prompt, options.MaxNewTokens, EosId, filter, generator, options.RepetitionPenalty, PadId))
            yield return token;
    }

    IEnumerable<GeneratedToken> Beam(IReadOnlyList<long> prompt, GenerationOptions options)
    {
        using var state = Model.BeginDecoding(1);
        var best = BeamSearch.Decode(Model, state, Tensor.FromArray([.. prompt], 1, prompt.Count), options.MaxNewTokens, EosId ?? -1,
            options.NumBeams, padId: PadId)[0][0];
        return best.Tokens.Select(t => new GeneratedToken((int)t, double.NaN)).ToArray();
    }

    /// <summary>The prompt's ids as text (<c>Context</c>) and as fed (after the end-of-text token, which opens every
    /// document in training), cut from the left so prompt and continuation fit learned positions.</summary>
    (int[] Context, long[] Fed) PromptIds(string prompt, int maxNewTokens)
    {
        var ids = Tokenizer.EncodeToIds(prompt).ToArray();
        if (ids.Length == 0 && EosId is null)
            throw new ArgumentException("generate: this model was trained without an end-of-text token, so it needs a non-empty prompt", nameof(prompt));
        long[] fed = EosId is int eos ? [eos, .. ids.Select(i => (long)i)] : [.. ids.Select(i => (long)i)];
        int room = ((IIncrementalDecoder)Model).MaxLength - maxNewTokens + 1;
        if (room < 1) throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, $"generate: at most {((IIncrementalDecoder)Model).MaxLength} new tokens fit the model's positions");
        if (fed.Length > room) fed = fed[^room..];
        return (ids, fed);
    }

    /// <summary>The tokens of <paramref name="text"/> and each layer's causal self-attention per head, (H, T, T): row =
    /// the attending token, column = the token attended to (zero right of the diagonal).</summary>
    public (IReadOnlyList<string> Tokens, IReadOnlyList<Tensor> Layers) SelfAttention(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Tokenizer.EncodeToIds(text).Select(i => (long)i).ToArray();
        if (EosId is int eos) ids = [eos, .. ids];
        if (ids.Length == 0) throw new ArgumentException("attention: the text has no tokens", nameof(text));
        if (ids.Length > Context) ids = ids[..Context];
        var attentions = Model.Layers.Select(l => l.SelfAttn).ToArray();
        try
        {
            foreach (var attention in attentions) attention.CaptureWeights = true;
            using (GradMode.NoGrad()) Model.Forward(Tensor.FromArray(ids, 1, ids.Length));
            var tokens = ids.Select(id => Tokenizer.Decode([(int)id]) ?? "").ToArray();
            return (tokens, [.. attentions.Select(a => a.CapturedWeights!.Select(0, 0))]);   // (1, H, T, T) → (H, T, T)
        }
        finally
        {
            foreach (var attention in attentions) attention.CaptureWeights = false;
        }
    }
}
