using System.Runtime.CompilerServices;
using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Autograd;

/// <summary>The no-grad mode belongs to one async flow: it neither leaks into other threads or tasks nor gets lost
/// when an await resumes on another thread.</summary>
public class GradModeTests
{
    /// <summary>An awaitable that always resumes the awaiting method on a brand-new thread.</summary>
    readonly struct ResumeOnNewThread : INotifyCompletion
    {
        public ResumeOnNewThread GetAwaiter() => this;
        public bool IsCompleted => false;
        public void OnCompleted(Action continuation) => new Thread(() => continuation()).Start();
        public void GetResult() { }
    }

    static bool Records() => (Tensor.Ones(1).RequiresGrad_() * 2.0).GradFn != null;

    [Fact]
    public void NoGradOnOneThreadDoesNotAffectAnother()
    {
        using var entered = new ManualResetEventSlim();
        using var checkedOther = new ManualResetEventSlim();
        bool insideScope = true, afterScope = false;
        var a = new Thread(() =>
        {
            using (GradMode.NoGrad())
            {
                entered.Set();
                checkedOther.Wait();
                insideScope = Records();
            }
            afterScope = Records();
        });
        bool other = false;
        var b = new Thread(() =>
        {
            entered.Wait();
            other = GradMode.IsEnabled && Records();
            checkedOther.Set();
        });
        a.Start();
        b.Start();
        a.Join();
        b.Join();
        Assert.True(other);
        Assert.False(insideScope);
        Assert.True(afterScope);
    }

    [Fact]
    public async Task NoGradScopeFollowsItsAsyncFlowAcrossThreads()
    {
        Task body = null!;
        bool startingThreadLeftDisabled = true;
        var starter = new Thread(() =>
        {
            body = Body();   // runs up to the first await, then returns here while the rest moves to another thread
            startingThreadLeftDisabled = !GradMode.IsEnabled;
        });
        starter.Start();
        starter.Join();
        await body;
        Assert.False(startingThreadLeftDisabled);

        static async Task Body()
        {
            using (GradMode.NoGrad())
            {
                await new ResumeOnNewThread();
                Assert.False(GradMode.IsEnabled);
                Assert.False(Records());
            }
            Assert.True(GradMode.IsEnabled);
        }
    }

    [Fact]
    public async Task TasksStartedInsideAScopeInheritItAndOthersDoNot()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outside = Task.Run(async () =>
        {
            await gate.Task;
            return GradMode.IsEnabled;
        });
        bool inherited;
        using (GradMode.NoGrad())
        {
            inherited = await Task.Run(() => GradMode.IsEnabled);
            gate.SetResult();
            Assert.True(await outside);
        }
        Assert.False(inherited);
    }

    [Fact]
    public void NestedScopesRestoreTheModeTheyFound()
    {
        Assert.True(GradMode.IsEnabled);
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            using (GradMode.EnableGrad())
            {
                Assert.True(GradMode.IsEnabled);
                Assert.True(Records());
                using (GradMode.NoGrad()) Assert.False(GradMode.IsEnabled);
                Assert.True(GradMode.IsEnabled);
            }
            using (GradMode.NoGrad()) Assert.False(GradMode.IsEnabled);
            Assert.False(GradMode.IsEnabled);
        }
        Assert.True(GradMode.IsEnabled);
    }
}
