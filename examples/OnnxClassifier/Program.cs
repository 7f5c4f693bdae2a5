// Classifies texts with a classifier exported by `attn export` (model.onnx, config.json and the tokenizer files in one
// folder), running the network in ONNX Runtime. SharpAttention is used only for the tokenizer, as a Python consumer
// would use Hugging Face's tokenizers beside onnxruntime.
//
//   attn train classify --data reviews.csv --out runs/reviews
//   attn export --model runs/reviews --out exported/model.onnx
//   dotnet run --project examples/OnnxClassifier -- exported "a quiet, lovely film" "dull and far too long"
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SharpAttention.Tasks.Classification;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: OnnxClassifier FOLDER TEXT... (FOLDER holds model.onnx, config.json and the tokenizer files)");
    return 2;
}
string folder = args[0];
string[] texts = args[1..];

// 1. Texts → input_ids and attention_mask (B, T) int64, with the tokenizer, wrapping and truncation the model was trained with.
var inputs = ClassifierInputs.Load(folder);
var batch = inputs.Encode(texts);
int[] shape = [batch.InputIds.Size(0), batch.InputIds.Size(1)];

// 2. The graph in ONNX Runtime: the CPU execution provider by default; on a GPU machine add one before creating the
//    session, e.g. options.AppendExecutionProvider_CUDA() with the Microsoft.ML.OnnxRuntime.Gpu package.
using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), options);
using var results = session.Run(
[
    NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds.ToInt64Array(), shape)),
    NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask.ToInt64Array(), shape)),
]);
var logits = results.First(r => r.Name == "logits").AsTensor<float>();   // (B, C)

// 3. Softmax over the classes; the labels come from config.json in logit order. The label is the arg-max, or for a
//    two-class model trained with a decision threshold (config.json's decision_threshold, e.g. `--threshold auto`) the
//    second label when its probability reaches the threshold: inputs.Decide applies the folder's rule.
for (int i = 0; i < texts.Length; i++)
{
    var row = Enumerable.Range(0, inputs.Labels.Count).Select(c => (double)logits[i, c]).ToArray();
    double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
    int label = inputs.Decide(row);
    Console.WriteLine($"{inputs.Labels[label]}\t{Math.Exp(row[label] - max) / sum:F4}\t{texts[i]}");
}
return 0;
