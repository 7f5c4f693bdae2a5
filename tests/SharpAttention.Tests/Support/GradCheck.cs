using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Support;

/// <summary>
/// Finite-difference gradient check in double precision (like torch.autograd.gradcheck): for L = Σ f(x)·w with a
/// random upstream weight w, compares autograd's dL/dx with central differences (L(x+ε) − L(x−ε)) / 2ε.
/// </summary>
public static class GradCheck
{
    /// <param name="f">the function under test; it receives Float64 leaves that require grad</param>
    /// <param name="inputs">float inputs (converted to Float64 here); non-float inputs are passed through untouched
    /// and not differentiated</param>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-5, ulong seed = 1)
    {
        var x = inputs.Select(t => t.DType.IsFloatingPoint() ? t.Double().Detach().Clone().RequiresGrad_() : t).ToArray();
        var y = f(x);
        Assert.Equal(DType.Float64, y.DType);
        var w = Tensor.Randn(y.ShapeArray(), new Generator(seed), DType.Float64);
        if (y.RequiresGrad) y.Backward(w);
        var wArr = w.ToDoubleArray();

        for (int k = 0; k < x.Length; k++)
        {
            if (!x[k].RequiresGrad) continue;
            var analytic = x[k].Grad?.ToDoubleArray() ?? new double[x[k].NumEl];
            Assert.Equal(x[k].NumEl, analytic.Length);
            for (int j = 0; j < x[k].NumEl; j++)
            {
                double numeric = (Perturbed(f, x, k, j, eps, wArr) - Perturbed(f, x, k, j, -eps, wArr)) / (2 * eps);
                double tol = atol + rtol * Math.Abs(numeric);
                if (!(Math.Abs(analytic[j] - numeric) <= tol))
                    Assert.Fail($"gradient of input {k} (shape {Fmt(x[k])}) at flat index {j}: autograd {analytic[j]:R}, finite difference {numeric:R}");
            }
        }
    }

    static double Perturbed(Func<Tensor[], Tensor> f, Tensor[] x, int k, int j, double delta, double[] w)
    {
        using var _ = GradMode.NoGrad();
        var flat = x[k].View(-1);
        double original = flat.ToDoubleArray()[j];
        flat.Narrow(0, j, 1).CopyFrom_(Tensor.FromArray(new[] { original + delta }, 1));
        var y = f(x).ToDoubleArray();
        flat.Narrow(0, j, 1).CopyFrom_(Tensor.FromArray(new[] { original }, 1));
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += y[i] * w[i];
        return sum;
    }

    static string Fmt(Tensor t) => "(" + string.Join(",", t.ShapeArray()) + ")";

    public static int[] ShapeArray(this Tensor t) => t.Shape.ToArray();
}
