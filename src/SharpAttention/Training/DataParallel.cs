using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using SharpAttention.Autograd;
using SharpAttention.Kernels.Threading;
using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Training;

/// <summary>
/// Data parallelism across the cores of one machine — torch's DistributedDataParallel on threads instead of processes.
/// It holds the model and <c>replicas − 1</c> copies of it; the <see cref="Trainer"/> gives each its own micro-batch of
/// an optimizer step, runs them at once (each on one thread with single-threaded kernels), and adds the replicas'
/// gradients into the model's before clipping and the optimizer step. Each replica copies the model's parameters and
/// buffers before its micro-batch, so only the model itself is optimized, evaluated and saved.
/// <para>It pays off where one micro-batch's kernels are too small to split well across cores (short sequences,
/// a few hundred rows per matrix product), and costs a copy of the weights per replica. Results are deterministic
/// for a given replica count: the replicas' gradients are added in replica order, and each replica's random ops
/// (dropout) draw from a generator of its own, reseeded from <see cref="Generator.Default"/> (in replica order) before
/// each round, so a run is reproducible and resumes bit-exactly. Without random ops it is bit-identical to sequential
/// gradient accumulation of the same micro-batches; with dropout, replica 0's masks come from the model's own
/// generator and the others' from their reseeded ones, so the masks differ from the sequential run's. Each
/// micro-batch's loss is its own mean, as in DDP (a step is the mean of the micro-batch means).</para>
/// </summary>
public sealed class DataParallel : IDisposable
{
    readonly Module[] replicas;
    readonly Tensor[][] parameters;      // [replica][i], in Module.NamedParameters order
    readonly Tensor[][] buffers;
    readonly Worker[] workers;
    readonly Generator[] generators;     // [r − 1]: what replica r's random ops draw from

    /// <summary>Wraps <paramref name="model"/>; <paramref name="replicate"/> builds a module of the same architecture
    /// whose random ops (dropout) draw from the generator it is given — its initial weights do not matter, they are
    /// overwritten. Called <paramref name="replicas"/> − 1 times.</summary>
    public DataParallel(Module model, Func<Generator, Module> replicate, int replicas)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(replicate);
        if (replicas < 1) throw new ArgumentOutOfRangeException(nameof(replicas), replicas, "DataParallel: need at least 1 replica");
        this.replicas = new Module[replicas];
        this.replicas[0] = model;
        var names = model.NamedParameters().Select(p => (p.Name, p.Parameter.Shape.ToArray())).ToArray();
        var bufferNames = model.NamedBuffers().Select(b => (b.Name, b.Buffer.Shape.ToArray())).ToArray();
        generators = new Generator[replicas - 1];
        var storages = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
        foreach (var t in model.Parameters().Concat(model.Buffers())) storages.Add(t.Storage);
        for (int r = 1; r < replicas; r++)
        {
            generators[r - 1] = new Generator((ulong)r);
            var copy = replicate(generators[r - 1]) ?? throw new InvalidOperationException("DataParallel: replicate returned null");
            if (ReferenceEquals(copy, model)) throw new ArgumentException("DataParallel: replicate must build a new module, not return the model", nameof(replicate));
            Check(names, [.. copy.NamedParameters().Select(p => (p.Name, p.Parameter.Shape.ToArray()))], "parameter");
            Check(bufferNames, [.. copy.NamedBuffers().Select(b => (b.Name, b.Buffer.Shape.ToArray()))], "buffer");
            foreach (var (name, t) in copy.NamedParameters().Concat(copy.NamedBuffers()))
                if (!storages.Add(t.Storage))
                    throw new ArgumentException($"DataParallel: replica {r}'s '{name}' shares memory with the model or another replica; replicate must build separate tensors", nameof(replicate));
            this.replicas[r] = copy;
        }
        parameters = [.. this.replicas.Select(m => m.Parameters().ToArray())];
        buffers = [.. this.replicas.Select(m => m.Buffers().ToArray())];
        for (int i = 0; i < parameters[0].Length; i++)
            for (int r = 1; r < replicas; r++)
                if (parameters[r][i].DType != parameters[0][i].DType)
                    throw new ArgumentException($"DataParallel: parameter '{names[i].Name}' is {parameters[r][i].DType.TorchName()} in replica {r}, {parameters[0][i].DType.TorchName()} in the model");
        // The workers must not inherit this thread's ambient state (grad mode): each round sets what it needs.
        using (ExecutionContext.SuppressFlow())
            workers = [.. Enumerable.Range(1, replicas - 1).Select(r => new Worker(r))];
    }

    /// <summary>The model being trained (replica 0).</summary>
    public Module Model => replicas[0];

    /// <summary>Every replica, the model first.</summary>
    public IReadOnlyList<Module> Replicas => replicas;

    /// <summary>Number of replicas, the model included.</summary>
    public int Count => replicas.Length;

    /// <summary>Puts every replica in training or evaluation mode.</summary>
    internal void SetTraining(bool training)
    {
        foreach (var m in replicas)
            if (training) m.Train();
            else m.Eval();
    }

    /// <summary>
    /// Runs <paramref name="work"/> for replicas 0 … n − 1 at once (n ≤ <see cref="Count"/>): replica 0 on the calling
    /// thread, the others on their workers after copying the model's weights, every one with single-threaded kernels
    /// (a round of one runs on the model with every core). Each replica's tensors live in a scope of its own thread
    /// (if <paramref name="scoped"/>) until <see cref="AddGradients"/> has taken their gradients; the workers run in
    /// the caller's grad mode. Rethrows the first replica's exception.
    /// </summary>
    internal T[] Run<T>(int n, Func<int, Module, T> work, bool scoped)
    {
        if (n < 1 || n > Count) throw new ArgumentOutOfRangeException(nameof(n), n, $"DataParallel: 1 to {Count} replicas");
        var results = new T[n];
        if (n == 1)
        {
            results[0] = work(0, replicas[0]);
            return results;
        }
        bool gradEnabled = GradMode.IsEnabled;
        // Buffers here, before replica 0 runs (a module may write its buffers in forward); seeds in replica order.
        for (int r = 1; r < n; r++)
        {
            CopyBuffers(r);
            lock (Generator.Default) generators[r - 1].SetSeed(Generator.Default.NextUInt64());
        }
        for (int r = 1; r < n; r++)
        {
            int replica = r;
            workers[r - 1].Post(() =>
            {
                workers[replica - 1].BeginScope(scoped);
                CopyParameters(replica);
                using (gradEnabled ? GradMode.EnableGrad() : GradMode.NoGrad())
                using (ThreadTeam.RunInline())
                    results[replica] = work(replica, replicas[replica]);
            });
        }
        Exception? first = null;
        try
        {
            using (ThreadTeam.RunInline()) results[0] = work(0, replicas[0]);
        }
        catch (Exception e)
        {
            first = e;
        }
        for (int r = 1; r < n; r++)
        {
            var e = workers[r - 1].Join();
            first ??= e;
        }
        if (first != null)
        {
            for (int r = 1; r < n; r++) Release(r);
            ExceptionDispatchInfo.Capture(first).Throw();
        }
        return results;
    }

    /// <summary>Adds the gradients of replicas 1 … n − 1 into the model's (in replica order), then lets each replica
    /// drop its gradients and end its scope on its own thread.</summary>
    internal void AddGradients(int n)
    {
        try
        {
            using (GradMode.NoGrad())
            {
                var target = parameters[0];
                for (int r = 1; r < n; r++)
                {
                    var source = parameters[r];
                    for (int i = 0; i < target.Length; i++)
                    {
                        if (source[i].Grad is not { } g) continue;
                        if (target[i].Grad is { } t) t.Add_(g);
                        else target[i].Grad = g.Clone();
                    }
                }
            }
        }
        finally
        {
            for (int r = 1; r < n; r++) Release(r);
        }
    }

    void Release(int r)
    {
        var worker = workers[r - 1];
        worker.Post(() =>
        {
            foreach (var p in parameters[r]) Optimizer.DropGrad(p, TensorScope.Current);
            worker.EndScope();
        });
    }

    void CopyParameters(int r)
    {
        using (GradMode.NoGrad())
            for (int i = 0; i < parameters[0].Length; i++) parameters[r][i].CopyFrom_(parameters[0][i]);
    }

    void CopyBuffers(int r)
    {
        using (GradMode.NoGrad())
            for (int i = 0; i < buffers[0].Length; i++) buffers[r][i].CopyFrom_(buffers[0][i]);
    }

    static void Check((string Name, int[] Shape)[] expected, (string Name, int[] Shape)[] actual, string kind)
    {
        var missing = expected.Select(e => e.Name).Except(actual.Select(a => a.Name)).ToArray();
        var extra = actual.Select(a => a.Name).Except(expected.Select(e => e.Name)).ToArray();
        if (missing.Length > 0 || extra.Length > 0 || expected.Length != actual.Length)
            throw new ArgumentException($"DataParallel: the replica's {kind}s differ from the model's (missing: {Join(missing)}; unexpected: {Join(extra)})");
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i].Name != actual[i].Name)
                throw new ArgumentException($"DataParallel: the replica lists {kind} '{actual[i].Name}' where the model has '{expected[i].Name}'");
            if (!ShapeUtil.SameShape(expected[i].Shape, actual[i].Shape))
                throw new ArgumentException($"DataParallel: {kind} '{expected[i].Name}' has shape {ShapeUtil.Format(actual[i].Shape)} in the replica, {ShapeUtil.Format(expected[i].Shape)} in the model");
        }
    }

    static string Join(string[] names) => names.Length == 0 ? "none" : string.Join(", ", names.Take(5)) + (names.Length > 5 ? ", …" : "");

    /// <summary>Stops the worker threads (after the work already posted).</summary>
    public void Dispose()
    {
        foreach (var w in workers) w.Dispose();
    }

    /// <summary>A dedicated thread that runs posted actions in order and keeps one replica's tensor scope open between
    /// its micro-batch and the gradient hand-over (a scope belongs to the thread that began it).</summary>
    sealed class Worker : IDisposable
    {
        readonly BlockingCollection<Action> queue = new();
        readonly SemaphoreSlim done = new(0);
        readonly Thread thread;
        TensorScope? scope;
        Exception? failure;
        int pending;

        public Worker(int replica)
        {
            thread = new Thread(Loop) { IsBackground = true, Name = $"SharpAttention replica {replica}" };
            thread.Start();
        }

        public void Post(Action action)
        {
            ObjectDisposedException.ThrowIf(queue.IsAddingCompleted, this);
            Interlocked.Increment(ref pending);
            queue.Add(action);
        }

        /// <summary>Waits for everything posted so far; returns the first exception among it (and forgets it).</summary>
        public Exception? Join()
        {
            while (Volatile.Read(ref pending) > 0) done.Wait();
            var e = failure;
            failure = null;
            return e;
        }

        public void BeginScope(bool scoped)
        {
            EndScope();   // a round that failed before handing over its gradients
            scope = scoped ? TensorScope.Begin() : null;
        }

        public void EndScope()
        {
            scope?.Dispose();
            scope = null;
        }

        void Loop()
        {
            foreach (var action in queue.GetConsumingEnumerable())
            {
                try
                {
                    action();
                }
                catch (Exception e)
                {
                    failure ??= e;
                }
                Interlocked.Decrement(ref pending);
                done.Release();
            }
        }

        public void Dispose()
        {
            if (queue.IsAddingCompleted) return;
            queue.CompleteAdding();
            thread.Join();
            queue.Dispose();
            done.Dispose();
        }
    }
}
