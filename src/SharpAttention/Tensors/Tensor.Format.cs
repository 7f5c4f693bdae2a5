using System.Globalization;
using System.Text;

namespace SharpAttention.Tensors;

// ToString in PyTorch's style: tensor([[ 0.1000, -2.0000], ...], requires_grad=True); large tensors summarised.
public sealed partial class Tensor
{
    const int SummarizeThreshold = 1000;
    const int EdgeItems = 3;

    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (NumEl == 0 && Dim > 0)
            sb.Append("[], size=(").Append(string.Join(", ", shape)).Append(')');
        else
        {
            bool summarize = NumEl > SummarizeThreshold;
            var format = ChooseFormat(summarize);
            int width = 0;
            ForEachShown(summarize, i => width = Math.Max(width, format(GetFlat(i)).Length));
            AppendLevel(sb, 0, 0, summarize, format, width, indent: "tensor(".Length);
        }
        if (DType is DType.Float64) sb.Append(", dtype=torch.float64");
        if (GradFn != null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    void AppendLevel(StringBuilder sb, int dim, long flatBase, bool summarize, Func<double, string> format, int width, int indent)
    {
        if (dim == Dim)
        {
            sb.Append(format(GetFlat(flatBase)).PadLeft(width));
            return;
        }
        long inner = 1;
        for (int d = dim + 1; d < Dim; d++) inner *= shape[d];
        sb.Append('[');
        int n = shape[dim];
        bool cut = summarize && n > 2 * EdgeItems;
        string separator = dim == Dim - 1 ? ", " : "," + new string('\n', Dim - dim - 1) + new string(' ', indent + dim + 1);
        for (int i = 0; i < n; i++)
        {
            if (cut && i == EdgeItems)
            {
                sb.Append("...").Append(separator);
                i = n - EdgeItems;
            }
            AppendLevel(sb, dim + 1, flatBase + i * inner, summarize, format, width, indent);
            if (i < n - 1) sb.Append(separator);
        }
        sb.Append(']');
    }

    /// <summary>Visits the flat indices that ToString prints.</summary>
    void ForEachShown(bool summarize, Action<long> visit)
    {
        if (!summarize)
        {
            for (long i = 0; i < NumEl; i++) visit(i);
            return;
        }
        Span<int> index = stackalloc int[Dim];
        for (long i = 0; i < NumEl; i++)
        {
            long rest = i;
            bool shown = true;
            for (int d = Dim - 1; d >= 0; d--)
            {
                int k = (int)(rest % shape[d]);
                rest /= shape[d];
                if (shape[d] > 2 * EdgeItems && k >= EdgeItems && k < shape[d] - EdgeItems) shown = false;
            }
            if (shown) visit(i);
        }
    }

    /// <summary>PyTorch's choice: integers as "3.", scientific when the range is wide, else 4 decimals.</summary>
    Func<double, string> ChooseFormat(bool summarize)
    {
        var ci = CultureInfo.InvariantCulture;
        if (DType == DType.Bool) return v => v != 0 ? "True" : "False";
        if (DType == DType.Int64) return v => ((long)v).ToString(ci);
        bool allInts = true;
        double maxAbs = 0, minAbs = double.PositiveInfinity;
        ForEachShown(summarize, i =>
        {
            double v = GetFlat(i);
            if (!double.IsFinite(v)) return;
            if (v != Math.Round(v)) allInts = false;
            double a = Math.Abs(v);
            if (a > 0) minAbs = Math.Min(minAbs, a);
            maxAbs = Math.Max(maxAbs, a);
        });
        static string Special(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        bool scientific = maxAbs > 1e8 || (minAbs < double.PositiveInfinity && (maxAbs / minAbs > 1000 || minAbs < 1e-4));
        if (allInts && !scientific) return v => double.IsFinite(v) ? v.ToString("0", ci) + "." : Special(v);
        if (scientific) return v => double.IsFinite(v) ? v.ToString("0.0000e+00", ci) : Special(v);
        return v => double.IsFinite(v) ? v.ToString("0.0000", ci) : Special(v);
    }
}
