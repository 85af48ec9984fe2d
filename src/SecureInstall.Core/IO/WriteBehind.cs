using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SecureInstall.Core.IO;

/// <summary>
/// Pushes a file being written to disk in the background, every few tens of MiB, when the download will be flushed
/// before its rename (FlushToDisk); without this the whole file (a GiB installer) is written out at that moment, after
/// the download, instead of while the network is the bottleneck. The final flush stays the authoritative one.
/// </summary>
internal sealed class WriteBehind
{
    private const long Interval = 32L * 1024 * 1024;
    private static readonly bool IsWindows = Path.DirectorySeparatorChar == '\\';
    private readonly SafeFileHandle _handle;
    private long _unflushed;
    private Task _pending = Task.CompletedTask;

    public WriteBehind(FileStream stream) => _handle = stream.SafeFileHandle;

    /// <summary>Counts bytes written; starts a background flush when enough have piled up and none is running.</summary>
    public void Wrote(int count)
    {
        _unflushed += count;
        if (_unflushed < Interval || !_pending.IsCompleted) return;
        _unflushed = 0;
        _pending = Task.Run(Flush);
    }

    /// <summary>Waits for a background flush; failures are ignored (the commit's own flush reports them).</summary>
    public void Wait()
    {
        try { _pending.GetAwaiter().GetResult(); } catch (Exception) { }
        _unflushed = 0;
    }

    private void Flush()
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            if (IsWindows) FlushFileBuffers(_handle);
            else _ = fsync(_handle.DangerousGetHandle().ToInt32());
        }
        catch (Exception ex) when (ex is ObjectDisposedException or DllNotFoundException or EntryPointNotFoundException)
        {
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool FlushFileBuffers(SafeFileHandle handle);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);
}
