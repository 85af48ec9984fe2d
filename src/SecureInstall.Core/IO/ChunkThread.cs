using System.Runtime.ExceptionServices;

namespace SecureInstall.Core.IO;

/// <summary>
/// A thread of its own that runs one chunk's work at a time (hash and write a buffer) while its owner reads the next one.
/// </summary>
/// <remarks>
/// Handing each chunk to the thread pool instead cost a pool hop per chunk, and an idle pool worker spins (sched_yield)
/// looking for more work before it sleeps, on the cores the network and the hash need. Here both sides block on a monitor
/// and wake each other once per chunk; with the reads off the pool as well (VerifiedDownloader.Copy), a download went from
/// 2.7 to 2.1 CPU-s per GiB on 2 cores.
/// </remarks>
internal sealed class ChunkThread : IDisposable
{
    private readonly Action<byte[], int> _work;
    private readonly string _name;
    private readonly object _gate = new();
    private Thread? _thread;
    private byte[]? _buffer;
    private int _count;
    private bool _busy;
    private bool _stopping;
    private Exception? _failure;

    public ChunkThread(Action<byte[], int> work, string name)
    {
        _work = work;
        _name = name;
    }

    /// <summary>Hands a chunk to the thread; the buffer belongs to it until <see cref="Wait"/> returns.</summary>
    public void Start(byte[] buffer, int count)
    {
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(ChunkThread));
            if (_busy) throw new InvalidOperationException("The previous chunk has not been collected.");
            _buffer = buffer;
            _count = count;
            _busy = true;
            if (_thread == null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = _name };
                _thread.Start();
            }
            else
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Waits for the chunk in hand, if any, and rethrows what its work threw.</summary>
    public void Wait()
    {
        Exception? failure;
        lock (_gate)
        {
            while (_busy) Monitor.Wait(_gate);
            failure = _failure;
            _failure = null;
        }
        if (failure != null) ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private void Run()
    {
        while (true)
        {
            byte[] buffer;
            int count;
            lock (_gate)
            {
                while (!_busy && !_stopping) Monitor.Wait(_gate);
                if (!_busy) return;
                buffer = _buffer!;
                count = _count;
            }
            Exception? failure = null;
            try
            {
                _work(buffer, count);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            lock (_gate)
            {
                _failure = failure;
                _buffer = null;
                _busy = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Lets the chunk in hand finish, then ends the thread. Its failure, if any, is dropped: call Wait to see it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            while (_busy) Monitor.Wait(_gate);
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }
}
