using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive scalar twins of <see cref="LayerNormKernel"/> and <see cref="RmsNormKernel"/>: the defining formulas
/// one element at a time in double, same argument conventions (empty span = no weight / bias / gradient).</summary>
internal static class NormalizationReference
{
    public static void LayerNormForward<T>(Span<T> y, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x,
                                           ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int n, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < mean.Length; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) m += D(x[r * n + i]);
            m /= n;
            for (int i = 0; i < n; i++) v += (D(x[r * n + i]) - m) * (D(x[r * n + i]) - m);
            double s = 1 / Math.Sqrt(v / n + eps);
            mean[r] = T.CreateTruncating(m);
            rstd[r] = T.CreateTruncating(s);
            for (int i = 0; i < n; i++)
            {
                double yi = (D(x[r * n + i]) - m) * s;
                if (!weight.IsEmpty) yi *= D(weight[i]);
                if (!bias.IsEmpty) yi += D(bias[i]);
                y[r * n + i] = T.CreateTruncating(yi);
            }
        }
    }

    public static void LayerNormBackward<T>(Span<T> dx, Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                            ReadOnlySpan<T> weight, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; n > 0 && r < mean.Length; r++)
        {
            double m = D(mean[r]), s = D(rstd[r]), sumDxhat = 0, sumDxhatXhat = 0;
            for (int i = 0; i < n; i++)
            {
                double xhat = (D(x[r * n + i]) - m) * s, g = D(dy[r * n + i]);
                double dxhat = weight.IsEmpty ? g : g * D(weight[i]);
                sumDxhat += dxhat;
                sumDxhatXhat += dxhat * xhat;
                if (!dbias.IsEmpty) dbias[i] += T.CreateTruncating(g);
                if (!dweight.IsEmpty) dweight[i] += T.CreateTruncating(g * xhat);
            }
            for (int i = 0; i < n && !dx.IsEmpty; i++)
            {
                double xhat = (D(x[r * n + i]) - m) * s, g = D(dy[r * n + i]);
                double dxhat = weight.IsEmpty ? g : g * D(weight[i]);
                dx[r * n + i] = T.CreateTruncating(s * (dxhat - sumDxhat / n - xhat * sumDxhatXhat / n));
            }
        }
    }

    public static void RmsNormForward<T>(Span<T> y, Span<T> rstd, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, int n, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rstd.Length; r++)
        {
            double ms = 0;
            for (int i = 0; i < n; i++) ms += D(x[r * n + i]) * D(x[r * n + i]);
            double s = 1 / Math.Sqrt(ms / n + eps);
            rstd[r] = T.CreateTruncating(s);
            for (int i = 0; i < n; i++)
                y[r * n + i] = T.CreateTruncating(D(x[r * n + i]) * s * (weight.IsEmpty ? 1 : D(weight[i])));
        }
    }

    public static void RmsNormBackward<T>(Span<T> dx, Span<T> dweight, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                          ReadOnlySpan<T> weight, ReadOnlySpan<T> rstd, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; n > 0 && r < rstd.Length; r++)
        {
            double s = D(rstd[r]), sumDxhatXhat = 0;
            for (int i = 0; i < n; i++)
            {
                double xhat = D(x[r * n + i]) * s, g = D(dy[r * n + i]);
                sumDxhatXhat += (weight.IsEmpty ? g : g * D(weight[i])) * xhat;
                if (!dweight.IsEmpty) dweight[i] += T.CreateTruncating(g * xhat);
            }
            for (int i = 0; i < n && !dx.IsEmpty; i++)
            {
                double xhat = D(x[r * n + i]) * s, g = D(dy[r * n + i]);
                double dxhat = weight.IsEmpty ? g : g * D(weight[i]);
                dx[r * n + i] = T.CreateTruncating(s * (dxhat - xhat * sumDxhatXhat / n));
            }
        }
    }

    static double D<T>(T v) where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(v);
}
