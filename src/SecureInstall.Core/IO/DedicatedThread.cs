using System;
using System.Threading;
using System.Threading.Tasks;

namespace SecureInstall.Core.IO;

/// <summary>Runs blocking work on a new background thread of its own and completes a task when it is done.</summary>
internal static class DedicatedThread
{
    /// <summary>
    /// Starts <paramref name="work"/> on a new thread; the task ends with its outcome (its exception, cancellation
    /// included, is what awaiting the task throws). For long blocking loops that should not hold a thread-pool thread.
    /// </summary>
    public static Task RunAsync(Action work, string name)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                work();
                done.SetResult(true);
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}
