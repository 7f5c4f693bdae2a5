using System.CommandLine;
using Microsoft.ML.Tokenizers;
using SharpAttention.Cli.Contract;
using SharpAttention.Text;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn tokenizer train|encode`: trains a tokenizer of any kind on text files into a Hugging Face style
/// folder (tokenizer_config.json + vocabulary files), and shows how a saved tokenizer cuts a text.</summary>
public static class TokenizerCommand
{
    public static Command Create(CliContext context) =>
        new("tokenizer", "train a tokenizer (bpe, wordpiece, word, char) or encode text with one") { Train(context), Encode(context) };

    static Command Train(CliContext context)
    {
        var kind = new Option<string>("--kind") { Description = "bpe | wordpiece | word | char", Required = true };
        kind.AcceptOnlyFromAmong("bpe", "wordpiece", "word", "char");
        var vocabSize = Flags.Int("--vocab-size", "vocabulary size, special tokens included (required for bpe and wordpiece; word and char keep every unit otherwise)",
            () => Bounds.Integers(1, int.MaxValue));
        var data = new Option<string[]>("--data") { Description = "UTF-8 text file or folder (every file below it); repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "folder to write the tokenizer into", Required = true };
        var minFrequency = Flags.Int("--min-frequency", "fewest sightings for a merge (bpe, wordpiece; default 2) or a unit's own id (word, char; default 1)",
            () => Bounds.Integers(1, int.MaxValue));
        var lowerCase = new Option<bool>("--lowercase") { Description = "lower-case the text first (wordpiece, word, char)" };
        var pattern = new Option<string?>("--pattern") { Description = $"word: the regular expression a word matches (default {WordLevelTokenizer.DefaultPattern})" };
        var command = new Command("train", "train a tokenizer on text and save it in the Hugging Face layout") { kind, vocabSize, data, output, minFrequency, lowerCase, pattern };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var chosen = TokenizerConfig.ParseKind(parsed.GetValue(kind))!.Value;
            int? size = parsed.GetValue(vocabSize), min = parsed.GetValue(minFrequency);
            bool lower = parsed.GetValue(lowerCase);
            string dir = parsed.GetValue(output)!;
            var specials = chosen switch
            {
                TokenizerKind.Bpe => SpecialTokens.Gpt2,
                TokenizerKind.WordPiece => SpecialTokens.Bert,
                _ => SpecialTokens.Sequence,
            };
            if (size is null && chosen is TokenizerKind.Bpe or TokenizerKind.WordPiece) throw new UsageException($"--vocab-size is required for --kind {parsed.GetValue(kind)}");
            // At least one token beyond the special tokens (for BPE beyond them and its 256 byte symbols).
            int least = specials.Distinct().Count + (chosen == TokenizerKind.Bpe ? 256 : 1);
            if (size is int n) Check.Flag("--vocab-size", n, Bounds.Integers(least, int.MaxValue));
            if (lower && chosen == TokenizerKind.Bpe) throw new UsageException("--lowercase does not apply to --kind bpe (byte-level BPE keeps the text as it is)");
            if (parsed.GetValue(pattern) is string regex)
            {
                if (chosen != TokenizerKind.Word) throw new UsageException("--pattern applies to --kind word only");
                try { _ = new System.Text.RegularExpressions.Regex(regex); }
                catch (ArgumentException e) { throw new UsageException($"--pattern {Shown.Quote(regex)} is not a regular expression: {e.Message}"); }
            }
            var files = DataFiles(parsed.GetValue(data)!);
            var progress = new ConsoleProgress(context);
            var config = new TokenizerConfig { Kind = chosen, DoLowerCase = lower };
            int tokens;
            switch (chosen)
            {
                case TokenizerKind.Bpe:
                    var bpe = new BpeTrainer(new BpeTrainerOptions { VocabSize = size!.Value, MinFrequency = min ?? 2, Progress = progress }).TrainFromFiles(files);
                    Tokenizers.Save(bpe, dir, config with { SpecialTokens = specials });
                    tokens = bpe.Vocabulary.Count;
                    break;
                case TokenizerKind.WordPiece:
                    var options = new WordPieceTrainerOptions { VocabSize = size!.Value, MinFrequency = min ?? 2, LowerCase = lower };
                    var vocabulary = WordPieceTrainer.TrainFromFiles(files, options, progress);
                    Tokenizers.Save(WordPieceTrainer.CreateTokenizer(vocabulary, options), dir, config with { SpecialTokens = options.SpecialTokens });
                    tokens = vocabulary.Count;
                    break;
                case TokenizerKind.Word:
                    var wordOptions = new WordLevelTrainerOptions
                    {
                        VocabSize = size, MinFrequency = min ?? 1, LowerCase = lower, Pattern = parsed.GetValue(pattern) ?? WordLevelTokenizer.DefaultPattern,
                    };
                    var words = WordLevelTrainer.TrainFromFiles(files, wordOptions, progress);
                    Tokenizers.Save(words, dir, config with { SpecialTokens = wordOptions.SpecialTokens });
                    tokens = words.Tokens.Count;
                    break;
                default:
                    var charOptions = new CharLevelTrainerOptions { VocabSize = size, MinFrequency = min ?? 1, LowerCase = lower };
                    var chars = CharLevelTrainer.TrainFromFiles(files, charOptions, progress);
                    Tokenizers.Save(chars, dir, config with { SpecialTokens = charOptions.SpecialTokens });
                    tokens = chars.Tokens.Count;
                    break;
            }
            Tokenizers.Load(dir);   // what was written reads back
            context.Output.WriteLine($"wrote a {parsed.GetValue(kind)} tokenizer to {dir}: {tokens:N0} tokens");
            return 0;
        }));
        return command;
    }

    static Command Encode(CliContext context)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "folder holding tokenizer_config.json and its vocabulary", Required = true };
        var text = new Argument<string>("text") { Description = "the text to encode (quote it)" };
        var command = new Command("encode", "print the tokens, ids and character offsets of a text") { tokenizer, text };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var dir = parsed.GetValue(tokenizer)!;
            Tokenizer loaded;
            try { loaded = Tokenizers.Load(dir); }
            catch (TokenizerFormatException e) { throw new CliException($"--tokenizer: {e.Message}", e); }
            var input = parsed.GetValue(text)!;
            var tokens = loaded.EncodeToTokens(input, out _);
            context.Output.WriteLine($"ids: {string.Join(' ', tokens.Select(t => t.Id))}");
            foreach (var token in tokens)
                context.Output.WriteLine($"{token.Id}\t{token.Value}\t{token.Offset.Start.Value}..{token.Offset.End.Value}");
            return 0;
        }));
        return command;
    }

    static string[] DataFiles(string[] paths)
    {
        foreach (var path in paths)
            if (!File.Exists(path) && !Directory.Exists(path)) throw new CliException($"--data: '{path}' is neither a file nor a folder");
        var files = TextCorpus.Files(paths);
        return files.Count > 0 ? [.. files] : throw new CliException($"--data: no files in {string.Join(", ", paths)}");
    }

    /// <summary>Prints trainer progress at most once a second (and the last report), from whichever thread reports.</summary>
    sealed class ConsoleProgress(CliContext context) : IProgress<TokenizerTrainingProgress>, IProgress<BpeTrainerProgress>
    {
        readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        readonly Lock gate = new();
        TimeSpan last = TimeSpan.FromSeconds(-1);

        public void Report(TokenizerTrainingProgress value) => Print(value.Phase, value.Done, value.Total);

        public void Report(BpeTrainerProgress value) =>
            Print(value.Stage == BpeTrainerStage.CountingWords ? "counting words" : "merging", value.Done, value.Total);

        void Print(string phase, long done, long? total)
        {
            lock (gate)
            {
                if (clock.Elapsed - last < TimeSpan.FromSeconds(1) && done != total) return;
                last = clock.Elapsed;
                context.Output.WriteLine(total is long t ? $"{phase}: {done:N0} / {t:N0}  ({clock.Elapsed.TotalSeconds:F1} s)" : $"{phase}: {done:N0}  ({clock.Elapsed.TotalSeconds:F1} s)");
            }
        }
    }
}
