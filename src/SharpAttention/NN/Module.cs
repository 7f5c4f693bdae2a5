using System.Diagnostics.CodeAnalysis;
using System.Text;
using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// Base class of every layer and model (PyTorch's torch.nn.Module). A module registers its parameters, buffers and
/// child modules explicitly, under the names PyTorch uses, so that <see cref="StateDict"/> keys equal torch's
/// state_dict keys ("out_proj.weight") and checkpoints move between the two by name alone.
/// Parameters are ordinary leaf tensors with <see cref="Tensor.RequiresGrad"/> set; buffers are tensors that belong
/// to the state but are not trained (positional tables, running statistics).
/// Each subclass has its own <c>Forward</c>, since signatures differ (attention returns output and weights).
/// </summary>
public abstract class Module
{
    // Registration order is the state_dict order, as in torch; a null entry reserves a name (torch's
    // register_parameter(name, None), e.g. a disabled bias) and is skipped everywhere else.
    readonly OrderedDictionary<string, Tensor?> parameters = new(StringComparer.Ordinal);
    readonly OrderedDictionary<string, Tensor?> buffers = new(StringComparer.Ordinal);
    readonly HashSet<string> nonPersistent = new(StringComparer.Ordinal);
    readonly OrderedDictionary<string, Module> children = new(StringComparer.Ordinal);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>; dropout reads it.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers <paramref name="tensor"/> as a trainable parameter (torch's register_parameter): it must be a
    /// floating-point leaf, and gets <see cref="Tensor.RequiresGrad"/> set. Null reserves the name without a value.</summary>
    [return: NotNullIfNotNull(nameof(tensor))]
    public Tensor? RegisterParameter(string name, Tensor? tensor)
    {
        CheckNewName(name, "parameter");
        if (tensor != null)
        {
            if (!tensor.IsLeaf)
                throw new ArgumentException($"register_parameter: '{name}' must be a leaf tensor (it has a grad_fn); pass tensor.Detach()");
            tensor.RequiresGrad = true;
        }
        parameters.Add(name, tensor);
        return tensor;
    }

    /// <summary>Registers a buffer (torch's register_buffer): state that is saved but not trained. A non-persistent
    /// buffer (a cache that can be recomputed) is left out of <see cref="StateDict"/>.</summary>
    [return: NotNullIfNotNull(nameof(tensor))]
    public Tensor? RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        CheckNewName(name, "buffer");
        buffers.Add(name, tensor);
        if (!persistent) nonPersistent.Add(name);
        return tensor;
    }

    /// <summary>Registers a child module (torch's register_module / add_module); its entries appear under
    /// "<paramref name="name"/>." in every named listing.</summary>
    public T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name, "module");
        children.Add(name, module);
        return module;
    }

    void CheckNewName(string name, string kind)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{kind} name can't be empty");
        if (name.Contains('.')) throw new ArgumentException($"{kind} name can't contain \".\", got '{name}'");
        if (parameters.ContainsKey(name) || buffers.ContainsKey(name) || children.ContainsKey(name))
            throw new ArgumentException($"{GetType().Name} already has an attribute '{name}'");
    }

    // ---- modes -------------------------------------------------------------------------------------------------

    /// <summary>Sets training mode on this module and every descendant (torch's train(mode)).</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var child in children.Values) child.Train(mode);
        return this;
    }

    /// <summary>Evaluation mode: dropout off (torch's eval()).</summary>
    public Module Eval() => Train(false);

    /// <summary>Calls <paramref name="fn"/> on every descendant, then on this module (torch's apply).</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var child in children.Values) child.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Drops every parameter's gradient (torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    // ---- listings ----------------------------------------------------------------------------------------------

    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var (name, m) in children) yield return (name, m);
    }

    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>This module (name = prefix) and every descendant with its dotted name, depth first.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in children)
            foreach (var entry in child.NamedModules(Join(prefix, name)))
                yield return entry;
    }

    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>Parameters with dotted names ("out_proj.weight"): own first, then each child's. A tensor shared by
    /// two modules (tied weights) is listed once, under its first name, as torch does.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "", bool recurse = true) =>
        Distinct(Walk(prefix, recurse, m => m.parameters.Select(p => (p.Key, p.Value))));

    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse: recurse).Select(p => p.Parameter);

    /// <summary>Buffers with dotted names, persistent or not, each tensor once.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true) =>
        Distinct(Walk(prefix, recurse, m => m.buffers.Select(b => (b.Key, b.Value))));

    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse: recurse).Select(b => b.Buffer);

    IEnumerable<(string, Tensor)> Walk(string prefix, bool recurse, Func<Module, IEnumerable<(string, Tensor?)>> own)
    {
        var modules = recurse ? NamedModules(prefix) : [(prefix, this)];
        foreach (var (modulePrefix, m) in modules)
            foreach (var (name, t) in own(m))
                if (t != null) yield return (Join(modulePrefix, name), t);
    }

    static IEnumerable<(string, Tensor)> Distinct(IEnumerable<(string, Tensor)> entries)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var e in entries)
            if (seen.Add(e.Item2)) yield return e;
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- state dict --------------------------------------------------------------------------------------------

    /// <summary>
    /// Every parameter and persistent buffer by its PyTorch key, in torch's order (a module's own parameters, then
    /// its own buffers, then each child's entries). Values are detached views sharing storage with the module, as in
    /// torch; tied tensors appear under every key.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var dict = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in StateEntries("")) dict.Add(key, t.Detach());
        return dict;
    }

    IEnumerable<(string Key, Tensor Target)> StateEntries(string prefix)
    {
        foreach (var (name, p) in parameters)
            if (p != null) yield return (Join(prefix, name), p);
        foreach (var (name, b) in buffers)
            if (b != null && !nonPersistent.Contains(name)) yield return (Join(prefix, name), b);
        foreach (var (name, child) in children)
            foreach (var entry in child.StateEntries(Join(prefix, name)))
                yield return entry;
    }

    /// <summary>
    /// Copies tensors from <paramref name="stateDict"/> into this module's parameters and persistent buffers, in place
    /// (so optimizers and other references keep working), converting dtype if needed (torch's load_state_dict).
    /// Everything is checked before anything is copied: a key whose shape differs is always an error (as in torch),
    /// and with <paramref name="strict"/> so is any missing or unexpected key. The error lists every problem at
    /// once and the module is left unchanged. Without strict, keys the module lacks are ignored and entries the dict
    /// lacks keep their values; the result names both.
    /// </summary>
    /// <exception cref="StateDictException">a shape differs, or (strict) keys are missing or unexpected.</exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return LoadStateDictLazy(stateDict.Keys, key => stateDict.TryGetValue(key, out var t) ? t.ShapeArray : null, key => stateDict[key], strict);
    }

    /// <summary>
    /// <see cref="LoadStateDict(IReadOnlyDictionary{string, Tensor}, bool)"/> for a source that produces its tensors one at
    /// a time (a memory-mapped checkpoint): everything is checked from <paramref name="shapeOf"/> (null = no such key)
    /// first, then each tensor is fetched, copied and dropped, so at most one source tensor is alive at once.
    /// </summary>
    internal LoadStateDictResult LoadStateDictLazy(IEnumerable<string> keys, Func<string, int[]?> shapeOf, Func<string, Tensor> fetch, bool strict)
    {
        var targets = StateEntries("").ToList();
        var known = new HashSet<string>(targets.Select(t => t.Key), StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatched = new List<string>();
        var copies = new List<(string Key, Tensor Target)>();
        foreach (var (key, target) in targets)
        {
            if (shapeOf(key) is not { } shape) missing.Add(key);
            else if (!shape.AsSpan().SequenceEqual(target.Shape))
                mismatched.Add($"size mismatch for {key}: copying a tensor with shape {ShapeUtil.Format(shape)} from checkpoint, " +
                               $"the shape in current model is {ShapeUtil.Format(target.Shape)}");
            else copies.Add((key, target));
        }
        var unexpected = keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();

        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new StateDictException(GetType().Name, strict ? missing : [], strict ? unexpected : [], mismatched);
        using (GradMode.NoGrad())
            foreach (var (key, target) in copies) target.CopyFrom_(fetch(key));
        return new LoadStateDictResult(missing, unexpected);
    }

    // ---- printing ----------------------------------------------------------------------------------------------

    /// <summary>The constructor arguments shown by <see cref="ToString"/> (torch's extra_repr).</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>torch's module printout: "Name(extra)" with children indented, one per line.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(GetType().Name).Append('(').Append(ExtraRepr());
        if (children.Count > 0)
        {
            sb.Append('\n');
            foreach (var (name, child) in children)
                sb.Append("  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  ")).Append('\n');
        }
        return sb.Append(')').ToString();
    }
}
