// Benchmark driver: `<group> [--quick]` prints one `<name> <value> <unit>` line per figure, with the names
// fixed in shared/BENCHMARKS.md so results stay comparable across versions and machines.
using SharpAttention.Bench;

(string Name, Action<RunPlan> Run)[] groups =
[
    ("gemm", GemmBench.Run),
    ("attention", AttentionBench.Run),
    ("train", TrainBench.Run),
    ("decode", DecodeBench.Run),
    ("peak", PeakBench.Run),
    ("classify", ClassifyBench.Run),
    ("tokenizer", TokenizerBench.Run),
    ("onnx", OnnxBench.Run),
];

// The attention memory figure and the AVX2 reruns measure in fresh child processes of this program.
if (args.Length == 2 && args[0] == AttentionMemory.ProbeFlag)
    return AttentionMemory.RunProbe(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
if (args.Length > 0 && args[0] == Avx2Rerun.ChildFlag)
    return Avx2Rerun.RunChild(args[1..]);

bool quick = args.Contains("--quick");
string[] rest = [.. args.Where(a => a != "--quick")];
if (rest.Length != 1 || (rest[0] != "all" && !groups.Any(g => g.Name == rest[0])))
{
    Console.Error.WriteLine($"usage: SharpAttention.Bench <{string.Join('|', groups.Select(g => g.Name))}|all> [--quick]");
    return 2;
}

// First line of every output: which CPU and vector widths the figures come from (they compare only on the same kind).
Console.WriteLine(CpuLine.Describe());
var plan = quick ? RunPlan.Quick : RunPlan.Full;
foreach (var group in groups.Where(g => rest[0] == "all" || g.Name == rest[0]))
    group.Run(plan);
return 0;

