using SharpAttention.Kernels.Threading;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

/// <summary>Changes the process-wide <see cref="Threads.Count"/>, so it runs alone: other tests compare results
/// computed at one thread count.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public unsafe class ParallelForTests
{
    /// <summary>Adds 1 to hits[i] for every item, so a missed or repeated item shows up as a count ≠ 1.</summary>
    struct CountBody(int* hits) : IRangeBody
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    ref struct SpanBody(Span<int> hits) : IRangeBody
    {
        readonly Span<int> hits = hits;

        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) hits[i] += i;
        }
    }

    struct ThrowBody : IRangeBody
    {
        public void Run(int start, int end)
        {
            if (start <= 500 && 500 < end) throw new InvalidOperationException("item 500");
        }
    }

    struct NestedBody(int* hits, int inner) : IRangeBody
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++)
                ParallelFor.For(inner, 1 << 20, new CountBody(hits + (long)i * inner));
        }
    }

    static void WithThreads(int n, Action body)
    {
        int saved = Threads.Count;
        Threads.Count = n;
        try { body(); }
        finally { Threads.Count = saved; }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 1000)]
    [InlineData(4, 257)]
    [InlineData(7, 100_003)]
    public void EveryItemRunsExactlyOnce(int threads, int count)
    {
        WithThreads(threads, () =>
        {
            var hits = new int[count + 1];
            fixed (int* h = hits)
            {
                ParallelFor.For(count, 1 << 20, new CountBody(h));
                Assert.All(hits[..count], x => Assert.Equal(1, x));
                Array.Clear(hits);
                ParallelFor.ForDynamic(count, 7, 1 << 20, new CountBody(h));
                Assert.All(hits[..count], x => Assert.Equal(1, x));
            }
            Assert.Equal(0, hits[count]);
        });
    }

    /// <summary>Back-to-back calls with different unit counts and both schedules: when a call returns, every item has
    /// run exactly once. A worker still looping over the previous job once claimed a unit of the next with a stale
    /// claim word, so a call could return while one of its units was still running.</summary>
    [Fact]
    public void BackToBackCallsFinishAllTheirItemsBeforeReturning()
    {
        int saved = Threads.Count;
        try
        {
            Threads.Count = 2;
            var random = new Random(5);
            for (int call = 0; call < 20_000; call++)
            {
                int n = random.Next(1, 48);
                var hits = new int[n];
                fixed (int* h = hits)
                {
                    if (call % 2 == 0) ParallelFor.For(n, 1 << 20, new CountBody(h));
                    else ParallelFor.ForDynamic(n, 1 + call % 3, 1 << 20, new CountBody(h));
                }
                for (int i = 0; i < n; i++)
                    if (hits[i] != 1) Assert.Fail($"call {call}: item {i} of {n} ran {hits[i]} times by the time the call returned");
            }
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    [Fact]
    public void RefStructBodiesMaySpanTheCallersMemory()
    {
        WithThreads(2, () =>
        {
            var data = new int[10_000];
            ParallelFor.For(data.Length, 1 << 20, new SpanBody(data));
            for (int i = 0; i < data.Length; i++) Assert.Equal(i, data[i]);
        });
    }

    [Fact]
    public void NestedLoopsRunInlineAndStillCoverEverything()
    {
        WithThreads(3, () =>
        {
            var hits = new int[50 * 40];
            fixed (int* h = hits) ParallelFor.For(50, 1 << 20, new NestedBody(h, 40));
            Assert.All(hits, x => Assert.Equal(1, x));
        });
    }

    [Fact]
    public void AnExceptionInABodyReachesTheCallerAndTheTeamStaysUsable()
    {
        WithThreads(2, () =>
        {
            var e = Assert.Throws<InvalidOperationException>(() => ParallelFor.For(1000, 1 << 20, new ThrowBody()));
            Assert.Equal("item 500", e.Message);
            var hits = new int[1000];
            fixed (int* h = hits) ParallelFor.For(1000, 1 << 20, new CountBody(h));
            Assert.All(hits, x => Assert.Equal(1, x));
        });
    }

    [Fact]
    public void LoopsFromSeveralUserThreadsAtOnceAllComplete()
    {
        WithThreads(2, () =>
        {
            var arrays = new int[4][];
            var tasks = new Thread[4];
            for (int t = 0; t < 4; t++)
            {
                int id = t;
                arrays[id] = new int[5000];
                tasks[id] = new Thread(() =>
                {
                    for (int rep = 0; rep < 200; rep++)
                        fixed (int* h = arrays[id]) ParallelFor.For(5000, 1 << 20, new CountBody(h));
                });
                tasks[id].Start();
            }
            foreach (var t in tasks) t.Join();
            foreach (var a in arrays) Assert.All(a, x => Assert.Equal(200, x));
        });
    }

    [Fact]
    public void ALoopAllocatesNothingOnTheCallingThread()
    {
        WithThreads(2, () =>
        {
            var hits = new int[4096];
            fixed (int* h = hits)
            {
                for (int i = 0; i < 10; i++) ParallelFor.For(4096, 1 << 20, new CountBody(h));
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 100; i++) ParallelFor.For(4096, 1 << 20, new CountBody(h));
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.All(hits, x => Assert.Equal(110, x));
        });
    }

    [Fact]
    public void ThreadCountRejectsZero()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Threads.Count = 0);
        Assert.Contains("at least 1", e.Message);
    }
}
