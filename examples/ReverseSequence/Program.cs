// The README's main job until the `attn` CLI lands: a one-layer Transformer block (single-head self-attention +
// feed-forward, post-LN) learns to reverse random token sequences. It prints the loss falling and the accuracy
// rising, then held-out accuracy and a few predictions. Everything runs on SharpAttention's tensors and autograd.
using System.Diagnostics;
using SharpAttention.Autograd;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;

const int Vocab = 20, T = 16, D = 32, DFF = 64, Batch = 64, Steps = 600;
var gen = new Generator(2026);
var model = new ReverseModel(Vocab, T, D, DFF, gen);
var optimizer = new Adam(model.Parameters, lr: 3e-3);
var (evalX, evalY) = ReverseModel.MakeBatch(1000, T, Vocab, new Generator(7));

Console.WriteLine($"Reversing sequences of {T} tokens ({Vocab} symbols) with a one-layer attention model ({model.ParameterCount:N0} parameters)");
var clock = Stopwatch.StartNew();
for (int step = 1; step <= Steps; step++)
{
    var (x, y) = ReverseModel.MakeBatch(Batch, T, Vocab, gen);
    var logits = model.Forward(x);                                          // (B, T, V)
    var loss = F.CrossEntropy(logits.Reshape(-1, Vocab), y.Reshape(-1));
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    if (step % 50 == 0 || step == 1)
        Console.WriteLine($"step {step,4}  loss {loss.Item(),7:F4}  token accuracy {ReverseModel.TokenAccuracy(logits, y),6:P1}  ({clock.Elapsed.TotalSeconds:F1} s)");
}

using (GradMode.NoGrad())
{
    var logits = model.Forward(evalX);
    var predicted = logits.ArgMax(-1);                                     // (N, T)
    double sequenceAccuracy = predicted.Eq(evalY).Float().Mean(1).Eq(1.0).Float().Mean().Item(); // all T tokens right
    Console.WriteLine($"held-out: token accuracy {ReverseModel.TokenAccuracy(logits, evalY):P2}, sequence accuracy {sequenceAccuracy:P2} (1000 sequences)");
    for (int i = 0; i < 3; i++)
        Console.WriteLine($"  {string.Join(" ", evalX.Select(0, i).ToInt64Array())}  ->  {string.Join(" ", predicted.Select(0, i).ToInt64Array())}");
}

/// <summary>Token + learned position embeddings, one self-attention block, and a vocabulary head.</summary>
sealed class ReverseModel
{
    readonly int dModel;
    readonly Tensor tokEmb, posEmb;                 // (V, D), (T, D)
    readonly Tensor wq, bq, wk, bk, wv, bv, wo, bo;  // (D, D) and (D)
    readonly Tensor ln1W, ln1B, ln2W, ln2B;          // (D)
    readonly Tensor w1, b1, w2, b2;                  // (DFF, D), (DFF), (D, DFF), (D)
    readonly Tensor wOut, bOut;                      // (V, D), (V)

    public Tensor[] Parameters { get; }

    public int ParameterCount => Parameters.Sum(p => p.NumEl);

    public ReverseModel(int vocab, int t, int d, int dff, Generator g)
    {
        dModel = d;
        tokEmb = Tensor.Randn([vocab, d], g);
        posEmb = Tensor.Randn([t, d], g);
        (wq, bq) = LinearInit(d, d, g);
        (wk, bk) = LinearInit(d, d, g);
        (wv, bv) = LinearInit(d, d, g);
        (wo, bo) = LinearInit(d, d, g);
        (w1, b1) = LinearInit(d, dff, g);
        (w2, b2) = LinearInit(dff, d, g);
        (wOut, bOut) = LinearInit(d, vocab, g);
        (ln1W, ln1B, ln2W, ln2B) = (Tensor.Ones(d), Tensor.Zeros(d), Tensor.Ones(d), Tensor.Zeros(d));
        Parameters = [tokEmb, posEmb, wq, bq, wk, bk, wv, bv, wo, bo, ln1W, ln1B, ln2W, ln2B, w1, b1, w2, b2, wOut, bOut];
        foreach (var p in Parameters) p.RequiresGrad = true;
    }

    /// <summary>nn.Linear's default initialisation: U(−1/√in, 1/√in) for weight and bias.</summary>
    static (Tensor W, Tensor B) LinearInit(int inFeatures, int outFeatures, Generator g)
    {
        double bound = 1 / Math.Sqrt(inFeatures);
        return (Tensor.Uniform([outFeatures, inFeatures], -bound, bound, g), Tensor.Uniform([outFeatures], -bound, bound, g));
    }

    public Tensor Forward(Tensor ids)                                          // ids (B, T) int64
    {
        var h = F.Embedding(ids, tokEmb) + posEmb;                             // (B, T, D)
        // 1. Project to queries, keys and values.
        var q = F.Linear(h, wq, bq);
        var k = F.Linear(h, wk, bk);
        var v = F.Linear(h, wv, bv);
        // 2. Scaled dot-product attention: softmax(Q·Kᵀ/√d)·V.
        var weights = q.MatMul(k.Transpose(1, 2)).Div(Math.Sqrt(dModel)).Softmax(-1);   // (B, T, T)
        var attended = weights.MatMul(v);                                      // (B, T, D)
        // 3. Residual + layer norm, then the feed-forward sublayer.
        h = F.LayerNorm(h + F.Linear(attended, wo, bo), [dModel], ln1W, ln1B);
        var ff = F.Linear(F.Linear(h, w1, b1).Relu(), w2, b2);
        h = F.LayerNorm(h + ff, [dModel], ln2W, ln2B);
        return F.Linear(h, wOut, bOut);                                        // (B, T, V)
    }

    /// <summary>Random token sequences and their reversals.</summary>
    public static (Tensor X, Tensor Y) MakeBatch(int n, int t, int vocab, Generator g)
    {
        var x = new long[n * t];
        var y = new long[n * t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < t; j++)
            {
                x[i * t + j] = g.NextInt64(vocab);
                y[i * t + (t - 1 - j)] = x[i * t + j];
            }
        return (Tensor.FromArray(x, n, t), Tensor.FromArray(y, n, t));
    }

    public static double TokenAccuracy(Tensor logits, Tensor targets)
    {
        using var _ = GradMode.NoGrad();
        return logits.ArgMax(-1).Eq(targets).Float().Mean().Item();
    }
}
