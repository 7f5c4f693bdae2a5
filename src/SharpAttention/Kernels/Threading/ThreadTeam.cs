using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SharpAttention.Kernels.Threading;

/// <summary>
/// A fork-join team of long-lived background threads behind <see cref="ParallelFor"/>. One job runs at a time:
/// the caller publishes it, wakes the workers and takes shares itself; threads claim shares from one counter
/// tagged with the job's generation, so a late worker can never run a share of a finished job. Idle workers spin
/// briefly (kernels in a training step come back to back) and then sleep. Nothing is allocated per job.
/// </summary>
internal static unsafe class ThreadTeam
{
    /// <summary>Largest <see cref="Threads.Count"/> accepted.</summary>
    public const int MaxThreads = 256;

    /// <summary>How long an idle worker spins for the next job before it sleeps.</summary>
    static readonly long SpinTicks = Stopwatch.Frequency / 20_000;   // 50 µs

    static readonly object gate = new();
    static readonly object sleepLock = new();
    static Thread?[] workers = [];

    // The current job; written by the caller before it bumps `generation`, read by workers after a successful claim.
    static delegate*<void*, int, int, void> jobFunction;
    static void* jobBody;
    static int jobCount, jobUnits, jobGrain;
    static int generation;
    static long claim;          // (generation << 32) | next unit to hand out
    static int remaining;       // units claimed-or-not that have not finished
    static int sleepers;
    static Exception? failure;

    [ThreadStatic] static bool inside;

    /// <summary>Until the region is disposed, every job this thread starts runs on it alone: threads that each own a
    /// core (data-parallel replicas) must not also hand work to the team.</summary>
    public static InlineRegion RunInline()
    {
        bool previous = inside;
        inside = true;
        return new InlineRegion(previous);
    }

    /// <summary>Restores the thread's previous mode; dispose it on the thread that opened it.</summary>
    public readonly struct InlineRegion(bool previous) : IDisposable
    {
        public void Dispose() => inside = previous;
    }

    /// <summary>Runs <paramref name="units"/> units of a job: static shares of [0, count) when grain is 0, else
    /// chunks of grain items. Returns when every unit has finished; rethrows the first exception of a body.</summary>
    public static void Run(delegate*<void*, int, int, void> function, void* body, int count, int units, int grain)
    {
        if (grain > 0) units = (count + grain - 1) / grain;
        if (inside || !Monitor.TryEnter(gate))
        {
            function(body, 0, count);
            return;
        }
        try
        {
            EnsureWorkers(Math.Min(Threads.Count, units) - 1);
            int gen = generation + 1;
            // Close the previous job's claim word before touching the job fields: a worker still looping in
            // Participate for that job may have read the old claim and be about to compare it with jobUnits; with
            // the word changed its compare-exchange fails, so it can never run (and count down) a unit of this job
            // with a stale claim — which let this call return while a unit still ran on its (then dead) body.
            Interlocked.Exchange(ref claim, ((long)gen << 32) | int.MaxValue);
            jobFunction = function;
            jobBody = body;
            jobCount = count;
            jobUnits = units;
            jobGrain = grain;
            failure = null;
            Volatile.Write(ref remaining, units);
            Interlocked.Exchange(ref claim, (long)gen << 32);
            Interlocked.Exchange(ref generation, gen);
            if (Volatile.Read(ref sleepers) > 0)
                lock (sleepLock) Monitor.PulseAll(sleepLock);

            Participate(gen);
            var spin = new SpinWait();
            while (Volatile.Read(ref remaining) > 0) spin.SpinOnce(sleep1Threshold: -1);
            if (failure != null) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            jobBody = null;
            Monitor.Exit(gate);
        }
    }

    /// <summary>Claims and runs units of job <paramref name="gen"/> until none are left.</summary>
    static void Participate(int gen)
    {
        inside = true;
        try
        {
            while (true)
            {
                long c = Volatile.Read(ref claim);
                if ((int)(c >> 32) != gen) return;
                int unit = (int)c;
                if (unit >= jobUnits) return;
                if (Interlocked.CompareExchange(ref claim, c + 1, c) != c) continue;
                // The claim succeeded, so job `gen` cannot finish before this unit does: its fields are stable.
                int start, end;
                if (jobGrain > 0)
                {
                    start = unit * jobGrain;
                    end = Math.Min(jobCount, start + jobGrain);
                }
                else
                {
                    start = (int)((long)jobCount * unit / jobUnits);
                    end = (int)((long)jobCount * (unit + 1) / jobUnits);
                }
                try
                {
                    jobFunction(jobBody, start, end);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
                Interlocked.Decrement(ref remaining);
            }
        }
        finally
        {
            inside = false;
        }
    }

    static void EnsureWorkers(int needed)
    {
        if (workers.Length >= needed) return;
        var grown = new Thread?[needed];
        Array.Copy(workers, grown, workers.Length);
        for (int i = workers.Length; i < needed; i++)
        {
            var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"SharpAttention worker {i + 1}" };
            grown[i] = t;
            t.Start();
        }
        workers = grown;
    }

    static void WorkerLoop()
    {
        int seen = Volatile.Read(ref generation);
        while (true)
        {
            long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref generation) == seen)
            {
                if (Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(30);
                    continue;
                }
                lock (sleepLock)
                {
                    Interlocked.Increment(ref sleepers);
                    while (Volatile.Read(ref generation) == seen) Monitor.Wait(sleepLock);
                    Interlocked.Decrement(ref sleepers);
                }
            }
            seen = Volatile.Read(ref generation);
            Participate(seen);
            Tensors.Storage.RecentlyUsed.Forget();
        }
    }
}
