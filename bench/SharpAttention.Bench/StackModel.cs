using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// The stand-in for the reference decoder until the model issue lands: token + position embeddings, pre-LN blocks
/// of causal multi-head self-attention composed from primitives (matmul, scale, masked_fill, softmax, matmul) and a
/// GELU MLP, dropout after each sublayer, a final layer norm and a vocabulary head, trained with cross-entropy and
/// AdamW. Built only from F ops and tensor methods, so it measures those ops' kernels and the step's allocations.
/// (The test project compiles this file too, at a small size, for the allocation bound.)
/// </summary>
internal sealed class StackModel
{
    public sealed record Config(int Vocab, int DModel, int Heads, int DFF, int Layers, int T, int Batch, double Dropout);

    /// <summary>The benchmark's size: d_model 256, 4 heads, d_ff 1024, 4 layers, T = 128, B = 8, vocabulary 8000.</summary>
    public static readonly Config Bench = new(8000, 256, 4, 1024, 4, 128, 8, 0.1);

    readonly Config c;
    readonly Tensor tokEmb, posEmb;                  // (V, D), (T, D)
    readonly Block[] blocks;
    readonly Tensor lnFW, lnFB, head, headB;         // (D), (D), (V, D), (V)
    readonly Tensor causal;                          // (T, T) bool, true above the diagonal
    readonly Generator dropoutGen;

    public Tensor[] Parameters { get; }
    public AdamW Optimizer { get; }

    sealed record Block(Tensor Ln1W, Tensor Ln1B, Tensor Wqkv, Tensor Bqkv, Tensor Wo, Tensor Bo,
                        Tensor Ln2W, Tensor Ln2B, Tensor W1, Tensor B1, Tensor W2, Tensor B2);

    public StackModel(Config config, ulong seed)
    {
        c = config;
        var g = new Generator(seed);
        dropoutGen = new Generator(seed + 1);
        int d = c.DModel;
        var ps = new List<Tensor>();
        Tensor P(Tensor t)
        {
            t.RequiresGrad = true;
            ps.Add(t);
            return t;
        }
        Tensor Lin(int outF, int inF) => P(Tensor.Normal([outF, inF], 0, 0.02, g));
        tokEmb = P(Tensor.Normal([c.Vocab, d], 0, 0.02, g));
        posEmb = P(Tensor.Normal([c.T, d], 0, 0.02, g));
        blocks = new Block[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            blocks[l] = new Block(P(Tensor.Ones(d)), P(Tensor.Zeros(d)), Lin(3 * d, d), P(Tensor.Zeros(3 * d)), Lin(d, d), P(Tensor.Zeros(d)),
                                  P(Tensor.Ones(d)), P(Tensor.Zeros(d)), Lin(c.DFF, d), P(Tensor.Zeros(c.DFF)), Lin(d, c.DFF), P(Tensor.Zeros(d)));
        lnFW = P(Tensor.Ones(d));
        lnFB = P(Tensor.Zeros(d));
        head = Lin(c.Vocab, d);
        headB = P(Tensor.Zeros(c.Vocab));
        var mask = new bool[c.T * c.T];
        for (int i = 0; i < c.T; i++)
            for (int j = i + 1; j < c.T; j++) mask[i * c.T + j] = true;
        causal = Tensor.FromArray(mask, c.T, c.T);
        Parameters = [.. ps];
        Optimizer = new AdamW(Parameters, lr: 3e-4);
    }

    /// <summary>Random token ids (B, T) and next-token targets (B·T).</summary>
    public (Tensor Ids, Tensor Targets) Batch(Generator g) =>
        (Tensor.RandInt(0, c.Vocab, [c.Batch, c.T], g), Tensor.RandInt(0, c.Vocab, [c.Batch * c.T], g));

    /// <summary>Logits (B, T, V).</summary>
    public Tensor Forward(Tensor ids)
    {
        int d = c.DModel, h = c.Heads, dh = d / h, b = c.Batch, t = c.T;
        var x = F.Embedding(ids, tokEmb) + posEmb;                                   // (B, T, D)
        foreach (var blk in blocks)
        {
            // 1. Causal self-attention on the normalised input: softmax(Q·Kᵀ/√dh + mask)·V per head.
            var qkv = F.Linear(F.LayerNorm(x, [d], blk.Ln1W, blk.Ln1B), blk.Wqkv, blk.Bqkv)   // (B, T, 3D)
                .View(b, t, 3, h, dh).Permute(2, 0, 3, 1, 4);                       // (3, B, H, T, dh)
            var (q, k, v) = (qkv.Select(0, 0), qkv.Select(0, 1), qkv.Select(0, 2)); // (B, H, T, dh)
            var scores = q.MatMul(k.Transpose(-2, -1)).Mul(1 / Math.Sqrt(dh)).MaskedFill(causal, double.NegativeInfinity);
            var attended = scores.Softmax(-1).MatMul(v)                             // (B, H, T, dh)
                .Permute(0, 2, 1, 3).Reshape(b, t, d);                              // (B, T, D)
            x = x + F.Dropout(F.Linear(attended, blk.Wo, blk.Bo), c.Dropout, true, dropoutGen);
            // 2. The MLP: Linear → GELU → Linear.
            var hidden = F.Linear(F.LayerNorm(x, [d], blk.Ln2W, blk.Ln2B), blk.W1, blk.B1).Gelu();  // (B, T, DFF)
            x = x + F.Dropout(F.Linear(hidden, blk.W2, blk.B2), c.Dropout, true, dropoutGen);
        }
        return F.Linear(F.LayerNorm(x, [d], lnFW, lnFB), head, headB);              // (B, T, V)
    }

    /// <summary>One training step: forward, cross-entropy, backward, AdamW. Returns the loss value.</summary>
    public float Step(Tensor ids, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var loss = F.CrossEntropy(Forward(ids).View(c.Batch * c.T, c.Vocab), targets);
        loss.Backward();
        Optimizer.Step();
        return loss.Item();
    }

    /// <summary>Tokens one step trains on.</summary>
    public int TokensPerStep => c.Batch * c.T;
}
