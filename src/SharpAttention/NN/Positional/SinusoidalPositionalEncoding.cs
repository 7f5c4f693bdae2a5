using SharpAttention.Tensors;

namespace SharpAttention.NN.Positional
{
    /// <summary>
    /// Fixed sine/cosine position encodings (Vaswani et al. 2017, §3.5): PE(p, 2i) = sin(p / 10000^(2i/D)),
    /// PE(p, 2i+1) = cos(p / 10000^(2i/D)), added to the input, then dropout — the PyTorch tutorial's
    /// PositionalEncoding. The table is the persistent buffer "pe", shaped as in the tutorial, (maxLen, 1, D), for
    /// (T, B, D) inputs, or (1, maxLen, D) for batch-first inputs (the Annotated Transformer's layout), so either
    /// state_dict loads as is. Values are the float32 numbers torch computes from the tutorial's formula.
    /// </summary>
    public sealed class SinusoidalPositionalEncoding : Module
    {
        readonly Dropout dropout;

        public int DModel { get; }
        public int MaxLen { get; }
        public bool BatchFirst { get; }

        /// <summary>(MaxLen, 1, D), or (1, MaxLen, D) when batch-first.</summary>
        public Tensor Pe { get; }

        public SinusoidalPositionalEncoding(int dModel, double dropout = 0.1, int maxLen = 5000, bool batchFirst = false, Generator? generator = null)
        {
            if (dModel <= 0 || maxLen < 0) throw new ArgumentException($"SinusoidalPositionalEncoding: need d_model > 0 and max_len ≥ 0, got {dModel} and {maxLen}");
            (DModel, MaxLen, BatchFirst) = (dModel, maxLen, batchFirst);
            var table = F.SinusoidalPositionalEncoding(maxLen, dModel);   // (maxLen, D)
            Pe = RegisterBuffer("pe", batchFirst ? table.Unsqueeze(0) : table.Unsqueeze(1));
            this.dropout = RegisterModule("dropout", new Dropout(dropout, generator));
        }

        /// <summary>x + PE[offset : offset + T], then dropout. <paramref name="offset"/> is the position of the first
        /// step (the number of steps already decoded when decoding incrementally).</summary>
        /// <param name="x">(T, B, D), or (B, T, D) when batch-first</param>
        /// <param name="offset">position of the first step</param>
        public Tensor Forward(Tensor x, int offset = 0)
        {
            if (x.Dim != 3 || x.Size(-1) != DModel)
                throw new ArgumentException($"SinusoidalPositionalEncoding: expected input (T, B, {DModel}) or (B, T, {DModel}), got {ShapeUtil.Format(x.Shape)}");
            int timeDim = BatchFirst ? 1 : 0, t = x.Size(timeDim);
            if (offset < 0 || offset + t > MaxLen)
                throw new ArgumentException($"SinusoidalPositionalEncoding: positions {offset}..{offset + t - 1} exceed max_len {MaxLen}");
            return dropout.Forward(x + Pe.Narrow(timeDim, offset, t));
        }

        protected override string ExtraRepr() => $"d_model={DModel}, max_len={MaxLen}, batch_first={(BatchFirst ? "True" : "False")}";
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>
        /// The sinusoidal table for positions offset … offset + length − 1, (length, D), float32 as torch evaluates the
        /// tutorial's formula: div = exp(arange(0, D, 2)·(−ln 10000 / D)) and sin/cos(p·div), each step rounded to
        /// float32. An odd D gets one more sine column than cosine columns.
        /// </summary>
        public static Tensor SinusoidalPositionalEncoding(int length, int dModel, int offset = 0)
        {
            var table = new float[length * dModel];
            float c = (float)(-Math.Log(10000.0) / dModel);
            var div = new float[(dModel + 1) / 2];
            for (int i = 0; i < div.Length; i++) div[i] = (float)Math.Exp((float)(2 * i) * c);
            for (int p = 0; p < length; p++)
            {
                var row = table.AsSpan(p * dModel, dModel);
                for (int i = 0; i < div.Length; i++)
                {
                    float angle = (float)(p + offset) * div[i];
                    row[2 * i] = (float)Math.Sin(angle);
                    if (2 * i + 1 < dModel) row[2 * i + 1] = (float)Math.Cos(angle);
                }
            }
            return Tensor.FromArray(table, length, dModel);
        }
    }
}
