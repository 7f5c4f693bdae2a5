using SharpAttention.Kernels;

namespace SharpAttention.Tests.Kernels;

/// <summary>erf and erfc in double against values computed with mpmath at 40 digits (correctly rounded doubles).</summary>
public class SpecialFunctionsTests
{
    // { x, erf(x), erfc(x) }
    public static TheoryData<double, double, double> Table => new()
    {
        { 1e-10, 1.1283791670955126e-10, 0.999999999887162 },
        { 0.001, 0.0011283787909692365, 0.9988716212090307 },
        { 0.1, 0.1124629160182849, 0.887537083981715 },
        { 0.5, 0.5204998778130465, 0.4795001221869535 },
        { 0.99, 0.8385080695553698, 0.1614919304446302 },
        { 1.0, 0.8427007929497149, 0.15729920705028513 },
        { 1.5, 0.9661051464753108, 0.033894853524689274 },
        { 2.0, 0.9953222650189527, 0.004677734981047266 },
        { 3.0, 0.9999779095030014, 2.209049699858544e-05 },
        { 4.5, 0.9999999998033839, 1.9661604415428876e-10 },
        { 6.0, 1.0, 2.1519736712498913e-17 },
        { 10.0, 1.0, 2.088487583762545e-45 },
        { 20.0, 1.0, 5.395865611607901e-176 },
        { 26.0, 1.0, 5.663192408856143e-296 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void ErfAndErfcAreAccurateToAFewUlp(double x, double erf, double erfc)
    {
        AssertRel(erf, SpecialFunctions.Erf(x), $"erf({x})");
        AssertRel(-erf, SpecialFunctions.Erf(-x), $"erf({-x})");
        AssertRel(erfc, SpecialFunctions.Erfc(x), $"erfc({x})");
        AssertRel(2 - erfc, SpecialFunctions.Erfc(-x), $"erfc({-x})");
    }

    [Fact]
    public void SpecialValues()
    {
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, SpecialFunctions.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, SpecialFunctions.Erfc(double.NegativeInfinity));
        Assert.Equal(0.0, SpecialFunctions.Erfc(30));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.True(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
        Assert.Equal(0.0, SpecialFunctions.Erf(0));
    }

    static void AssertRel(double expected, double actual, string what)
    {
        double err = Math.Abs(actual - expected) / Math.Abs(expected);
        if (!(err <= 2e-15)) Assert.Fail($"{what}: got {actual:R}, expected {expected:R} (relative error {err:E2})");
    }
}
