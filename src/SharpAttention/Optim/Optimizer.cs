using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>
/// Base of the optimizers (torch.optim.Optimizer): parameter groups, per-parameter state, zero_grad, and a state
/// dict for checkpoints. Parameters are numbered in group order as torch numbers them in its state dict.
/// </summary>
public abstract class Optimizer
{
    readonly ParamGroup[] groups;
    readonly Tensor[] all;
    readonly Dictionary<string, Tensor>?[] state;

    protected Optimizer(IEnumerable<Tensor> parameters, double lr, double weightDecay)
        : this([new ParamGroup(parameters)], lr, weightDecay) { }

    protected Optimizer(IEnumerable<ParamGroup> paramGroups, double lr, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(paramGroups);
        string name = GetType().Name.ToLowerInvariant();
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), $"{name}: invalid learning rate {lr}");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"{name}: invalid weight decay {weightDecay}");
        groups = paramGroups.ToArray();
        if (groups.Length == 0) throw new ArgumentException($"{name}: got an empty list of parameter groups");
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var list = new List<Tensor>();
        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            group.Lr = group.InitialLr = group.RequestedLr ?? lr;
            group.WeightDecay = group.RequestedWeightDecay ?? weightDecay;
            if (!(group.Lr >= 0)) throw new ArgumentOutOfRangeException(nameof(paramGroups), $"{name}: group {g} has invalid learning rate {group.Lr}");
            foreach (var p in group.Params)
            {
                int i = list.Count;
                if (!p.IsLeaf || !p.RequiresGrad)
                    throw new ArgumentException($"{name}: parameter {i} of shape {ShapeUtil.Format(p.Shape)} must be a leaf that requires grad");
                if (!p.IsContiguous) throw new ArgumentException($"{name}: parameter {i} of shape {ShapeUtil.Format(p.Shape)} must be contiguous");
                if (p.DType is not (DType.Float32 or DType.Float64))
                    throw new ArgumentException($"{name}: parameter {i} has dtype {p.DType}; only floating-point parameters can be optimized");
                if (!seen.Add(p)) throw new ArgumentException($"{name}: parameter {i} appears more than once in the parameter groups");
                p.DetachFromScope();
                list.Add(p);
            }
        }
        all = list.ToArray();
        state = new Dictionary<string, Tensor>?[all.Length];
    }

    public IReadOnlyList<ParamGroup> ParamGroups => groups;

    /// <summary>The learning rate of the first group; setting it sets every group's.</summary>
    public double LearningRate
    {
        get => groups[0].Lr;
        set
        {
            foreach (var g in groups) g.Lr = value;
        }
    }

    /// <summary>Applies one update from the parameters' current gradients; parameters without a gradient are skipped.</summary>
    public void Step()
    {
        int index = 0;
        foreach (var group in groups)
            foreach (var p in group.Params)
            {
                int i = index++;
                if (p.Grad is not { } grad) continue;
                if (!ShapeUtil.SameShape(grad.Shape, p.Shape))
                    throw new InvalidOperationException($"{GetType().Name.ToLowerInvariant()}: gradient of parameter {i} has shape {ShapeUtil.Format(grad.Shape)}, the parameter {ShapeUtil.Format(p.Shape)}");
                var g = (grad.DType == p.DType ? grad : grad.To(p.DType)).Contiguous();
                Update(p, g, group, state[i] ??= []);
                p.BumpVersion();
            }
    }

    /// <summary>Updates one parameter in place from its (contiguous, same-dtype) gradient; <paramref name="paramState"/>
    /// starts empty and keeps what the rule carries between steps, under torch's state names.</summary>
    protected abstract void Update(Tensor param, Tensor grad, ParamGroup group, Dictionary<string, Tensor> paramState);

    /// <summary>Drops gradients (zero_grad(set_to_none=True), the torch default) or zeroes them in place. Inside a
    /// <see cref="TensorScope"/>, dropped gradient buffers the autograd engine made are handed to that scope, so they
    /// return to the pool when it ends and the next backward reuses them; clone an old .Grad first if you need it
    /// after the scope.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        var scope = TensorScope.Current;
        foreach (var p in all)
        {
            if (!setToNone)
            {
                p.Grad?.Detach().Zero_();
                continue;
            }
            DropGrad(p, scope);
        }
    }

    /// <summary>Sets <paramref name="p"/>'s gradient to null, handing a buffer the autograd engine made to
    /// <paramref name="scope"/> (if any) so it returns to the pool when the scope ends.</summary>
    internal static void DropGrad(Tensor p, TensorScope? scope)
    {
        if (scope != null && p.Grad is { } g && g.Storage is { IsEngineGrad: true, Scope: null, IsReleased: false } s)
        {
            s.IsEngineGrad = false;
            scope.Add(s);
        }
        p.Grad = null;
    }

    /// <summary>
    /// Everything needed to resume, as named tensors: <c>state.{i}.{name}</c> per parameter (torch's names:
    /// step, exp_avg, exp_avg_sq, momentum_buffer…) and <c>param_groups.{g}.lr</c> / <c>.initial_lr</c> /
    /// <c>.weight_decay</c> as float64 scalars. Tensors are copies, so later steps do not change a saved dict.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>();
        for (int g = 0; g < groups.Length; g++)
        {
            dict[$"param_groups.{g}.lr"] = Tensor.Scalar(groups[g].Lr, DType.Float64);
            dict[$"param_groups.{g}.initial_lr"] = Tensor.Scalar(groups[g].InitialLr, DType.Float64);
            dict[$"param_groups.{g}.weight_decay"] = Tensor.Scalar(groups[g].WeightDecay, DType.Float64);
        }
        for (int i = 0; i < all.Length; i++)
            if (state[i] is { } s)
                foreach (var (name, t) in s) dict[$"state.{i}.{name}"] = t.Detach().Clone();
        return dict;
    }

    /// <summary>Restores a <see cref="StateDict"/> of an optimizer of the same type over the same parameters. Every
    /// problem (unknown key, wrong shape, missing group setting) is reported at once and nothing changes then.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict)
    {
        ArgumentNullException.ThrowIfNull(dict);
        var errors = new List<string>();
        var restored = new Dictionary<string, Tensor>?[all.Length];
        var settings = new double[groups.Length, 3];
        string[] settingNames = ["lr", "initial_lr", "weight_decay"];
        for (int g = 0; g < groups.Length; g++)
            for (int s = 0; s < 3; s++)
            {
                string key = $"param_groups.{g}.{settingNames[s]}";
                if (!dict.TryGetValue(key, out var t)) errors.Add($"missing key '{key}'");
                else if (t.NumEl != 1) errors.Add($"'{key}' has shape {ShapeUtil.Format(t.Shape)}, expected a scalar");
                else settings[g, s] = t.ItemDouble();
            }
        foreach (var (key, t) in dict)
        {
            if (key.StartsWith("param_groups.", StringComparison.Ordinal))
            {
                var parts = key.Split('.');
                if (parts.Length != 3 || !int.TryParse(parts[1], out int g) || g < 0 || g >= groups.Length || Array.IndexOf(settingNames, parts[2]) < 0)
                    errors.Add($"unexpected key '{key}'");
                continue;
            }
            var p = key.Split('.', 3);
            if (p.Length != 3 || p[0] != "state" || !int.TryParse(p[1], out int i) || i < 0 || i >= all.Length)
            {
                errors.Add($"unexpected key '{key}'");
                continue;
            }
            string problem = CheckStateEntry(all[i], p[2], t);
            if (problem.Length > 0)
            {
                errors.Add($"'{key}': {problem}");
                continue;
            }
            (restored[i] ??= [])[p[2]] = t.Detach().To(StateDType(all[i], p[2])).Clone().DetachFromScope();
        }
        if (errors.Count > 0)
            throw new ArgumentException($"{GetType().Name.ToLowerInvariant()}: cannot load the state dict:\n  " + string.Join("\n  ", errors));
        for (int g = 0; g < groups.Length; g++)
        {
            groups[g].Lr = settings[g, 0];
            groups[g].InitialLr = settings[g, 1];
            groups[g].WeightDecay = settings[g, 2];
        }
        Array.Copy(restored, state, all.Length);
    }

    /// <summary>"" if <paramref name="value"/> is a valid state entry <paramref name="name"/> for <paramref name="param"/>,
    /// else what is wrong. By default a state entry is either "step" (a scalar) or shaped like the parameter.</summary>
    protected virtual string CheckStateEntry(Tensor param, string name, Tensor value)
    {
        if (name == "step") return value.NumEl == 1 ? "" : $"step must be a scalar, got shape {ShapeUtil.Format(value.Shape)}";
        if (!StateNames.Contains(name)) return $"{GetType().Name} keeps no state named '{name}'";
        return ShapeUtil.SameShape(param.Shape, value.Shape) ? ""
            : $"shape {ShapeUtil.Format(value.Shape)} differs from the parameter's {ShapeUtil.Format(param.Shape)}";
    }

    static DType StateDType(Tensor param, string name) => name == "step" ? DType.Float64 : param.DType;

    /// <summary>Names of the per-parameter state tensors this optimizer keeps besides "step".</summary>
    protected abstract IReadOnlySet<string> StateNames { get; }

    /// <summary>A zero tensor shaped like <paramref name="p"/> for optimizer state, which must outlive any scope.</summary>
    protected static Tensor StateLike(Tensor p) => Tensor.ZerosLike(p).DetachFromScope();

    /// <summary>The number of updates parameter state has seen (torch keeps it per parameter).</summary>
    protected static long NextStep(Dictionary<string, Tensor> paramState)
    {
        if (!paramState.TryGetValue("step", out var s))
        {
            paramState["step"] = Tensor.Scalar(1, DType.Float64).DetachFromScope();
            return 1;
        }
        long step = (long)s.ItemDouble() + 1;
        s.Fill_(step);
        return step;
    }
}
