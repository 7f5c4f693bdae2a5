using SharpAttention.Tensors;

namespace SharpAttention.Tests.Tensors;

/// <summary>ToString against repr() of the same tensors in PyTorch 1.13 (default print options). The expected strings
/// were printed by torch (tests/conformance's python3-torch), not by this library.</summary>
public class FormatTests
{
    static Tensor F(params float[] values) => Tensor.FromArray(values);

    static Tensor Leaf() => Tensor.FromArray(new float[] { 1 }).RequiresGrad_();

    static readonly Dictionary<string, (Func<Tensor> Make, string Torch)> Cases = new()
    {
        ["matrix"] = (() => Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2), "tensor([[1., 2.],\n        [3., 4.]])"),
        ["empty_2d"] = (() => Tensor.Zeros(0, 3), "tensor([], size=(0, 3))"),
        ["empty_1d"] = (() => Tensor.Zeros(0), "tensor([])"),
        ["empty_3d"] = (() => Tensor.Zeros(2, 0, 4), "tensor([], size=(2, 0, 4))"),
        ["empty_int64"] = (() => Tensor.Zeros([0], DType.Int64), "tensor([], dtype=torch.int64)"),
        ["empty_float64_2d"] = (() => Tensor.Zeros([0, 2], DType.Float64), "tensor([], size=(0, 2), dtype=torch.float64)"),
        ["empty_bool"] = (() => Tensor.Zeros([0], DType.Bool), "tensor([], dtype=torch.bool)"),
        ["nonfinite_width"] = (() => F(1.5f, float.NaN, float.PositiveInfinity, -2.25f), "tensor([ 1.5000,     nan,     inf, -2.2500])"),
        ["nan_int_mode"] = (() => F(1, float.NaN, 2), "tensor([1., nan, 2.])"),
        ["zero_and_nan"] = (() => F(0, float.NaN), "tensor([0., nan])"),
        ["only_nonfinite"] = (() => F(float.NaN, float.NegativeInfinity), "tensor([nan, -inf])"),
        ["neg_zero"] = (() => F(-0f, 1), "tensor([-0., 1.])"),
        ["wrap_1d"] = (() => Tensor.Arange(30) + 0.5, "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000,\n        16.5000, 17.5000, 18.5000, 19.5000, 20.5000, 21.5000, 22.5000, 23.5000,\n        24.5000, 25.5000, 26.5000, 27.5000, 28.5000, 29.5000])"),
        ["wrap_int64"] = (() => Tensor.Arange(-5, 40, 1, DType.Int64), "tensor([-5, -4, -3, -2, -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12,\n        13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,\n        31, 32, 33, 34, 35, 36, 37, 38, 39])"),
        ["wrap_2d"] = (() => (Tensor.Arange(60) / 7.0).Reshape(2, 30), "tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n         1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n         2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n         3.8571, 4.0000, 4.1429],\n        [4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857, 5.4286,\n         5.5714, 5.7143, 5.8571, 6.0000, 6.1429, 6.2857, 6.4286, 6.5714, 6.7143,\n         6.8571, 7.0000, 7.1429, 7.2857, 7.4286, 7.5714, 7.7143, 7.8571, 8.0000,\n         8.1429, 8.2857, 8.4286]])"),
        ["summarize_1d"] = (() => Tensor.Arange(2000), "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"),
        ["summarize_2d"] = (() => (Tensor.Arange(1200) / 1000.0).Reshape(40, 30), "tensor([[0.0000e+00, 1.0000e-03, 2.0000e-03,  ..., 2.7000e-02, 2.8000e-02,\n         2.9000e-02],\n        [3.0000e-02, 3.1000e-02, 3.2000e-02,  ..., 5.7000e-02, 5.8000e-02,\n         5.9000e-02],\n        [6.0000e-02, 6.1000e-02, 6.2000e-02,  ..., 8.7000e-02, 8.8000e-02,\n         8.9000e-02],\n        ...,\n        [1.1100e+00, 1.1110e+00, 1.1120e+00,  ..., 1.1370e+00, 1.1380e+00,\n         1.1390e+00],\n        [1.1400e+00, 1.1410e+00, 1.1420e+00,  ..., 1.1670e+00, 1.1680e+00,\n         1.1690e+00],\n        [1.1700e+00, 1.1710e+00, 1.1720e+00,  ..., 1.1970e+00, 1.1980e+00,\n         1.1990e+00]])"),
        ["summarize_3d"] = (() => Tensor.Arange(1024, DType.Int64).Reshape(16, 8, 8), "tensor([[[   0,    1,    2,  ...,    5,    6,    7],\n         [   8,    9,   10,  ...,   13,   14,   15],\n         [  16,   17,   18,  ...,   21,   22,   23],\n         ...,\n         [  40,   41,   42,  ...,   45,   46,   47],\n         [  48,   49,   50,  ...,   53,   54,   55],\n         [  56,   57,   58,  ...,   61,   62,   63]],\n\n        [[  64,   65,   66,  ...,   69,   70,   71],\n         [  72,   73,   74,  ...,   77,   78,   79],\n         [  80,   81,   82,  ...,   85,   86,   87],\n         ...,\n         [ 104,  105,  106,  ...,  109,  110,  111],\n         [ 112,  113,  114,  ...,  117,  118,  119],\n         [ 120,  121,  122,  ...,  125,  126,  127]],\n\n        [[ 128,  129,  130,  ...,  133,  134,  135],\n         [ 136,  137,  138,  ...,  141,  142,  143],\n         [ 144,  145,  146,  ...,  149,  150,  151],\n         ...,\n         [ 168,  169,  170,  ...,  173,  174,  175],\n         [ 176,  177,  178,  ...,  181,  182,  183],\n         [ 184,  185,  186,  ...,  189,  190,  191]],\n\n        ...,\n\n        [[ 832,  833,  834,  ...,  837,  838,  839],\n         [ 840,  841,  842,  ...,  845,  846,  847],\n         [ 848,  849,  850,  ...,  853,  854,  855],\n         ...,\n         [ 872,  873,  874,  ...,  877,  878,  879],\n         [ 880,  881,  882,  ...,  885,  886,  887],\n         [ 888,  889,  890,  ...,  893,  894,  895]],\n\n        [[ 896,  897,  898,  ...,  901,  902,  903],\n         [ 904,  905,  906,  ...,  909,  910,  911],\n         [ 912,  913,  914,  ...,  917,  918,  919],\n         ...,\n         [ 936,  937,  938,  ...,  941,  942,  943],\n         [ 944,  945,  946,  ...,  949,  950,  951],\n         [ 952,  953,  954,  ...,  957,  958,  959]],\n\n        [[ 960,  961,  962,  ...,  965,  966,  967],\n         [ 968,  969,  970,  ...,  973,  974,  975],\n         [ 976,  977,  978,  ...,  981,  982,  983],\n         ...,\n         [1000, 1001, 1002,  ..., 1005, 1006, 1007],\n         [1008, 1009, 1010,  ..., 1013, 1014, 1015],\n         [1016, 1017, 1018,  ..., 1021, 1022, 1023]]])"),
        ["half_even_fixed"] = (() => F(0.03125f, 0.15625f, 0.5f), "tensor([0.0312, 0.1562, 0.5000])"),
        ["half_even_sci"] = (() => F(1.03125f, 4096f), "tensor([1.0312e+00, 4.0960e+03])"),
        ["sci_small"] = (() => F(1e-5f, 0.5f), "tensor([1.0000e-05, 5.0000e-01])"),
        ["sci_big_int"] = (() => F(123456789f, 1), "tensor([1.2346e+08, 1.0000e+00])"),
        ["float64"] = (() => Tensor.FromArray(new double[] { 0.1, -2.0 }), "tensor([ 0.1000, -2.0000], dtype=torch.float64)"),
        ["bool"] = (() => Tensor.FromArray(new[] { true, false }), "tensor([ True, False])"),
        ["scalar"] = (() => Tensor.Scalar(3.5), "tensor(3.5000)"),
        ["scalar_nan"] = (() => Tensor.Scalar(double.NaN), "tensor(nan)"),
        ["scalar_int"] = (() => Tensor.Scalar(-7, DType.Int64), "tensor(-7)"),
        ["requires_grad"] = (() => F(0.5f, -1.25f).RequiresGrad_(), "tensor([ 0.5000, -1.2500], requires_grad=True)"),
        ["mul_backward"] = (() => Leaf() * 2.0, "tensor([2.], grad_fn=<MulBackward0>)"),
        ["add_backward"] = (() => Leaf() + 1.0, "tensor([2.], grad_fn=<AddBackward0>)"),
        ["exp_backward"] = (() => Leaf().Exp(), "tensor([2.7183], grad_fn=<ExpBackward0>)"),
        ["suffix_wraps"] = (() => (Tensor.Arange(8) + 0.5).RequiresGrad_(), "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000],\n       requires_grad=True)"),
        ["suffix_wraps_2d"] = (() => (Tensor.Arange(16) / 3.0).Reshape(2, 8).RequiresGrad_(), "tensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333],\n        [2.6667, 3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000]],\n       requires_grad=True)"),
        ["suffix_wraps_float64_grad"] = (() => Tensor.FromArray(new[] { 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5 }).RequiresGrad_(), "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000],\n       dtype=torch.float64, requires_grad=True)"),
        ["int64_beyond_double"] = (() => Tensor.FromArray(new long[] { (1L << 53) + 1, -3 }), "tensor([9007199254740993,               -3])"),
    };

    public static TheoryData<string> Names() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void PrintsAsTorchDoes(string name)
    {
        var (make, torch) = Cases[name];
        Assert.Equal(torch, make().ToString());
    }

    /// <summary>Python's format(x, ".4f"), format(x, ".4e") and format(x, ".0f"), which torch prints with: exact
    /// ties round to even, carries move the exponent, subnormals and huge values keep every digit ("" skips a fixed
    /// form too long to list).</summary>
    [Theory]
    [InlineData(0.03125, "0.0312", "3.1250e-02", "0")]
    [InlineData(0.15625, "0.1562", "1.5625e-01", "0")]
    [InlineData(2.5, "2.5000", "2.5000e+00", "2")]
    [InlineData(3.5, "3.5000", "3.5000e+00", "4")]
    [InlineData(-0.0, "-0.0000", "-0.0000e+00", "-0")]
    [InlineData(1e-05, "0.0000", "1.0000e-05", "0")]
    [InlineData(123456.5, "123456.5000", "1.2346e+05", "123456")]
    [InlineData(9.99995, "10.0000", "1.0000e+01", "10")]
    [InlineData(9.9999499999, "9.9999", "9.9999e+00", "10")]
    [InlineData(0.00015, "0.0001", "1.5000e-04", "0")]
    [InlineData(5e-324, "0.0000", "4.9407e-324", "0")]
    [InlineData(1.7976931348623157e+308, "", "1.7977e+308", "")]
    [InlineData(1e+22, "10000000000000000000000.0000", "1.0000e+22", "10000000000000000000000")]
    [InlineData(0.1, "0.1000", "1.0000e-01", "0")]
    [InlineData(-1234.56785, "-1234.5678", "-1.2346e+03", "-1235")]
    [InlineData(99999.5, "99999.5000", "1.0000e+05", "100000")]
    [InlineData(9.9995e-05, "0.0001", "9.9995e-05", "0")]
    [InlineData(1.03125, "1.0312", "1.0312e+00", "1")]
    [InlineData(-7.0, "-7.0000", "-7.0000e+00", "-7")]
    public void DecimalFormatMatchesPython(double x, string fixed4, string scientific4, string fixed0)
    {
        if (fixed4 != "") Assert.Equal(fixed4, DecimalFormat.Fixed(x, 4));
        Assert.Equal(scientific4, DecimalFormat.Scientific(x, 4));
        if (fixed0 != "") Assert.Equal(fixed0, DecimalFormat.Fixed(x, 0));
        Assert.Equal("nan", DecimalFormat.Scientific(double.NaN, 4));
        Assert.Equal("-inf", DecimalFormat.Fixed(double.NegativeInfinity, 4));
    }
}
