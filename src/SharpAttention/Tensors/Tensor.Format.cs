using System.Globalization;
using System.Text;

namespace SharpAttention.Tensors;

// ToString as torch prints with its default options (torch/_tensor_str.py): one column width for all elements,
// rows wrapped at 80 columns, tensors over 1000 elements summarised with "...", suffixes for size, dtype and autograd.
public sealed partial class Tensor
{
    const int PrintThreshold = 1000;
    const int PrintEdgeItems = 3;
    const int PrintLineWidth = 80;
    const int PrintPrecision = 4;

    public override string ToString()
    {
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var suffixes = new List<string>();
        var sb = new StringBuilder(prefix);
        if (NumEl == 0)
        {
            // Nothing shows the dtype of an empty tensor, so every non-default one is named (int64 too).
            sb.Append("[]");
            if (Dim != 1) suffixes.Add("size=(" + string.Join(", ", shape) + ")");
            if (DType != DType.Float32) suffixes.Add("dtype=torch." + DType.TorchName());
        }
        else
        {
            if (DType == DType.Float64) suffixes.Add("dtype=torch.float64");
            bool summarize = NumEl > PrintThreshold;
            AppendLevel(sb, 0, 0, indent, summarize, new ElementFormat(this, summarize));
        }
        if (GradFn != null) suffixes.Add("grad_fn=<" + GradFn.Name + ">");
        else if (RequiresGrad) suffixes.Add("requires_grad=True");
        AppendSuffixes(sb, suffixes, indent);
        return sb.ToString();
    }

    /// <summary>Suffixes go on the last line while it stays within 80 columns, else on a new line at the indent.
    /// The last line's length is counted as torch counts it (two more than its characters).</summary>
    static void AppendSuffixes(StringBuilder sb, List<string> suffixes, int indent)
    {
        string text = sb.ToString();
        int lastLine = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLine + suffix.Length + 2 > PrintLineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLine = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLine += suffix.Length + 2;
            }
        }
        sb.Append(')');
    }

    /// <summary>Positions printed along a dim of size n: all, or the first and last edge items when summarising
    /// (the gap between them prints as "...").</summary>
    static IEnumerable<int> ShownIndices(int n, bool summarize)
    {
        bool cut = summarize && n > 2 * PrintEdgeItems;
        for (int i = 0; i < n; i++)
        {
            if (cut && i == PrintEdgeItems) i = n - PrintEdgeItems;
            yield return i;
        }
    }

    static bool IsCut(int n, bool summarize) => summarize && n > 2 * PrintEdgeItems;

    long InnerCount(int dim)
    {
        long inner = 1;
        for (int d = dim + 1; d < Dim; d++) inner *= shape[d];
        return inner;
    }

    /// <summary>Visits the flat indices of the printed elements.</summary>
    void VisitShown(int dim, long flatBase, bool summarize, Action<long> visit)
    {
        if (dim == Dim)
        {
            visit(flatBase);
            return;
        }
        long inner = InnerCount(dim);
        foreach (int i in ShownIndices(shape[dim], summarize)) VisitShown(dim + 1, flatBase + i * inner, summarize, visit);
    }

    void AppendLevel(StringBuilder sb, int dim, long flatBase, int indent, bool summarize, ElementFormat format)
    {
        if (Dim == 0)
        {
            sb.Append(format.Format(0));
            return;
        }
        long inner = InnerCount(dim);
        int n = shape[dim];
        if (dim == Dim - 1)
        {
            // A row: elements of equal width, as many per line as fit in 80 columns after the indent.
            var items = new List<string>();
            foreach (int i in ShownIndices(n, summarize))
            {
                if (IsCut(n, summarize) && i == n - PrintEdgeItems) items.Add(" ...");
                items.Add(format.Format(flatBase + i));
            }
            int perLine = Math.Max(1, (PrintLineWidth - indent) / (format.Width + 2));
            sb.Append('[');
            for (int k = 0; k < items.Count; k++)
            {
                if (k > 0) sb.Append(k % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
                sb.Append(items[k]);
            }
            sb.Append(']');
            return;
        }
        string separator = "," + new string('\n', Dim - dim - 1) + new string(' ', indent + 1);
        sb.Append('[');
        bool first = true;
        foreach (int i in ShownIndices(n, summarize))
        {
            if (!first) sb.Append(separator);
            if (IsCut(n, summarize) && i == n - PrintEdgeItems) sb.Append("...").Append(separator);
            AppendLevel(sb, dim + 1, flatBase + i * inner, indent + 1, summarize, format);
            first = false;
        }
        sb.Append(']');
    }

    /// <summary>torch's _Formatter: from the printed elements it picks integer mode ("3."), fixed ("0.1235") or
    /// scientific ("1.2346e+08") and one width. Mode and width come from the nonzero finite values only; zeros,
    /// nan and inf are padded to that width but never widen it.</summary>
    sealed class ElementFormat
    {
        readonly Tensor tensor;
        readonly bool floating, intMode = true, sciMode;
        public int Width { get; } = 1;

        public ElementFormat(Tensor t, bool summarize)
        {
            tensor = t;
            floating = t.DType.IsFloatingPoint();
            if (!floating)
            {
                int width = 1;
                t.VisitShown(0, 0, summarize, i => width = Math.Max(width, Plain(i).Length));
                Width = width;
                return;
            }
            var values = new List<double>();
            t.VisitShown(0, 0, summarize, i =>
            {
                double v = t.GetFlat(i);
                if (double.IsFinite(v) && v != 0) values.Add(v);
            });
            if (values.Count == 0) return;
            double min = double.PositiveInfinity, max = 0;
            foreach (double v in values)
            {
                min = Math.Min(min, Math.Abs(v));
                max = Math.Max(max, Math.Abs(v));
                if (v != Math.Ceiling(v)) intMode = false;
            }
            sciMode = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
            foreach (double v in values)
            {
                int length = sciMode ? DecimalFormat.Scientific(v, PrintPrecision).Length
                    : intMode ? DecimalFormat.Fixed(v, 0).Length + 1
                    : DecimalFormat.Fixed(v, PrintPrecision).Length;
                Width = Math.Max(Width, length);
            }
        }

        /// <summary>The element at a flat index, right-aligned to <see cref="Width"/>.</summary>
        public string Format(long flatIndex)
        {
            if (!floating) return Plain(flatIndex).PadLeft(Width);
            double v = tensor.GetFlat(flatIndex);
            string s = sciMode ? DecimalFormat.Scientific(v, PrintPrecision)
                : intMode ? DecimalFormat.Fixed(v, 0) + (double.IsFinite(v) ? "." : "")
                : DecimalFormat.Fixed(v, PrintPrecision);
            return s.PadLeft(Width);
        }

        /// <summary>Int64 read as long (a double would round values beyond 2^53); Bool as Python's True/False.</summary>
        string Plain(long flatIndex)
        {
            int o = tensor.OffsetOf(flatIndex);
            return tensor.DType == DType.Int64
                ? tensor.Storage.As<long>()[o].ToString(CultureInfo.InvariantCulture)
                : tensor.Storage.As<bool>()[o] ? "True" : "False";
        }
    }
}
