using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// Parameter initialisers (PyTorch's torch.nn.init): same distributions and fan rules as torch, drawn from the
/// project's seeded <see cref="Generator"/> (so values differ from torch's for the same seed, the statistics do
/// not). Each fills the tensor in place without recording autograd and returns it.
/// </summary>
public static class Init
{
    /// <summary>Fills with U(a, b) (torch.nn.init.uniform_).</summary>
    public static Tensor Uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null) =>
        Fill(tensor, Tensor.Uniform(tensor.ShapeArray, a, b, generator, tensor.DType));

    /// <summary>Fills with N(mean, std²) (torch.nn.init.normal_).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null) =>
        Fill(tensor, Tensor.Normal(tensor.ShapeArray, mean, std, generator, tensor.DType));

    public static Tensor Constant_(Tensor tensor, double value)
    {
        using (GradMode.NoGrad()) return tensor.Fill_(value);
    }

    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>Glorot &amp; Bengio (2010): U(−a, a) with a = gain·√(6 / (fan_in + fan_out))
    /// (torch.nn.init.xavier_uniform_).</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = FanInAndFanOut(tensor);
        double a = Math.Sqrt(3.0) * gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return Uniform_(tensor, -a, a, generator);
    }

    /// <summary>N(0, std²) with std = gain·√(2 / (fan_in + fan_out)) (torch.nn.init.xavier_normal_).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = FanInAndFanOut(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>He et al. (2015): U(−b, b) with b = gain·√(3 / fan), fan = fan_in or fan_out per
    /// <paramref name="mode"/> (torch.nn.init.kaiming_uniform_). nn.Linear uses a = √5, which gives b = 1/√fan_in.</summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
                                         Generator? generator = null)
    {
        if (tensor.NumEl == 0) return tensor;   // torch: initializing a zero-element tensor is a no-op
        double bound = Math.Sqrt(3.0) * CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>N(0, std²) with std = gain/√fan (torch.nn.init.kaiming_normal_).</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu",
                                        Generator? generator = null)
    {
        if (tensor.NumEl == 0) return tensor;
        return Normal_(tensor, 0, CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode)), generator);
    }

    /// <summary>The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); <paramref name="param"/> is
    /// leaky_relu's negative slope.</summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "identity" or "sigmoid" or "conv1d" or "conv2d" or "conv3d" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"calculate_gain: unsupported nonlinearity '{nonlinearity}'"),
    };

    /// <summary>(fan_in, fan_out) of a weight: dims 1 and 0 times the product of the remaining (receptive field)
    /// dims, as torch computes them; a (out, in) Linear weight gives (in, out).</summary>
    public static (int FanIn, int FanOut) FanInAndFanOut(Tensor tensor)
    {
        if (tensor.Dim < 2)
            throw new ArgumentException($"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got {ShapeUtil.Format(tensor.Shape)}");
        int receptive = 1;
        for (int d = 2; d < tensor.Dim; d++) receptive *= tensor.Shape[d];
        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }

    static int Fan(Tensor tensor, string mode)
    {
        var (fanIn, fanOut) = FanInAndFanOut(tensor);
        return mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"mode {mode} not supported, please use one of fan_in, fan_out"),
        };
    }

    static Tensor Fill(Tensor tensor, Tensor values)
    {
        using (GradMode.NoGrad()) return tensor.CopyFrom_(values);
    }
}
