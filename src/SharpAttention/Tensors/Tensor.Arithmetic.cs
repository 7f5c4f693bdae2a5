using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Broadcasting arithmetic (torch.add/sub/mul/div) and C# operators. Scalars take this tensor's dtype.
public sealed partial class Tensor
{
    public Tensor Add(Tensor other) => Ops.Add.Forward(this, other);
    public Tensor Add(double other) => Ops.Add.Forward(this, Scalar(other, ScalarDType("add")));
    public Tensor Sub(Tensor other) => Ops.Sub.Forward(this, other);
    public Tensor Sub(double other) => Ops.Sub.Forward(this, Scalar(other, ScalarDType("sub")));
    public Tensor Mul(Tensor other) => Ops.Mul.Forward(this, other);
    public Tensor Mul(double other) => Ops.Mul.Forward(this, Scalar(other, ScalarDType("mul")));
    public Tensor Div(Tensor other) => Ops.Div.Forward(this, other);
    public Tensor Div(double other) => Ops.Div.Forward(this, Scalar(other, ScalarDType("div")));

    DType ScalarDType(string op) => DType.IsFloatingPoint()
        ? DType
        : throw new ArgumentException($"{op}: expected a floating point tensor, got {DType.TorchName()}");

    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator +(Tensor a, double b) => a.Add(b);
    public static Tensor operator +(double a, Tensor b) => b.Add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);
    public static Tensor operator -(double a, Tensor b) => Scalar(a, b.ScalarDType("sub")).Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator /(Tensor a, double b) => a.Div(b);
    public static Tensor operator /(double a, Tensor b) => Scalar(a, b.ScalarDType("div")).Div(b);
    public static Tensor operator -(Tensor a) => a.Neg();
}
