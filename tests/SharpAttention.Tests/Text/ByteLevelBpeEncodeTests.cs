using CsCheck;
using Microsoft.ML.Tokenizers;
using SharpAttention.Tests.Support;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

/// <summary>Files our trainer writes, loaded into Microsoft.ML.Tokenizers, against the naive encoder; and GPT-2's own.</summary>
public class ByteLevelBpeEncodeTests : IDisposable
{
    const string Eot = "<|endoftext|>";

    static readonly string[] Corpus =
    [
        "The quick brown fox jumps over the lazy dog. The dog doesn't mind; the fox's jumps are quick.",
        "Jumping foxes, 12 foxes and 345 dogs jumped 6789 times!  Twice   spaced\ttabs\nnew lines\n\n",
        "naïve café crème brûlée — déjà vu. 日本語のテキストと日本語の文。 emoji 😀😀 👍🏽 😀",
        "combining e\u0301 e\u0301 a\u0308 and aaaaaaaaaaaaaaaa aaaaaaaa aaaa aa a",
    ];

    readonly TempDir dir = new();
    readonly ByteLevelBpeModel model;
    readonly Tokenizer tokenizer;

    public ByteLevelBpeEncodeTests()
    {
        model = new BpeTrainer(new() { VocabSize = 520, MinFrequency = 1 }).Train(Corpus);
        model.Save(dir.Path);
        tokenizer = ByteLevelBpe.Load(Path.Combine(dir.Path, "vocab.json"), Path.Combine(dir.Path, "merges.txt"),
            new Dictionary<string, int> { [Eot] = 0 });
    }

    public void Dispose() => dir.Dispose();

    void AssertEncodesLikeReference(string text)
    {
        var ids = tokenizer.EncodeToIds(text);
        Assert.Equal(BpeReference.Encode(text, model.Vocabulary, model.Merges), ids);
        Assert.Equal(BpeReference.Utf8RoundTrip(text), tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData("The quick brown fox jumps over the lazy dog.")]
    [InlineData("the DOG's foxes don't jump; they're lazy!!! 12345 678")]
    [InlineData("   leading spaces and trailing   ")]
    [InlineData("line one\nline two\r\n\n\ttabbed")]
    [InlineData("naïve déjà vu, crème brûlée")]
    [InlineData("日本語のテキスト、中文字符")]
    [InlineData("emoji 😀👍🏽🇫🇷 family 👨‍👩‍👧")]
    [InlineData("e\u0301 a\u0308\u0301 combining marks")]
    [InlineData("lone \uD800 high, lone \uDFFF low, swapped \uDC00\uD800 pair")]
    [InlineData("\uD800")]
    [InlineData("")]
    [InlineData("words unseen in training: zebra quixotic")]
    public void Encodes_like_the_naive_encoder_and_decodes_back(string text) => AssertEncodesLikeReference(text);

    [Fact]
    public void Hundred_kilobytes_of_one_character() => AssertEncodesLikeReference(new string('a', 100_000));

    [Fact]
    public void Random_strings_encode_like_the_naive_encoder_and_round_trip()
    {
        // Any UTF-16 unit, surrogates included, plus a bias towards the corpus' characters so merges apply.
        var unit = Gen.Frequency((3, Gen.Char), (2, Gen.Char["aeo fxTh.\n'😀é日"]), (1, Gen.Char['\uD800', '\uDFFF']));
        Gen.String[unit, 0, 60].Sample(AssertEncodesLikeReference, iter: 500);
    }

    [Fact]
    public void Special_tokens_are_matched_whole()
    {
        var ids = tokenizer.EncodeToIds($"the fox{Eot} the dog");
        Assert.Equal([.. BpeReference.Encode("the fox", model.Vocabulary, model.Merges), 0,
                      .. BpeReference.Encode(" the dog", model.Vocabulary, model.Merges)], ids);
        Assert.Equal($"the fox{Eot} the dog", tokenizer.Decode(ids));
    }

    [Fact]
    public void Model_tokenizer_equals_the_loaded_one()
    {
        var inMemory = model.ToTokenizer();
        foreach (var text in Corpus) Assert.Equal(tokenizer.EncodeToIds(text), inMemory.EncodeToIds(text));
    }

    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData(" Hello world", new[] { 18435, 995 })]
    [InlineData("hello world", new[] { 31373, 995 })]
    [InlineData("<|endoftext|>", new[] { 50256 })]
    public void GPT2s_published_tokenizer_gives_the_known_ids(string text, int[] expected)
    {
        // Ids from the GPT2Tokenizer documentation of Hugging Face transformers; 50256 is GPT-2's end-of-text token.
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        Assert.Equal(expected, gpt2.EncodeToIds(text));
        Assert.Equal(text, gpt2.Decode(expected));
    }
}
