using System.Diagnostics;

namespace SecureInstall.Core.Install;

/// <summary>
/// A cross-process lock held as an exclusively opened file: the operating system releases it when the holder
/// exits, even when it is killed, so a crashed install never leaves a lock behind.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <summary>Waits up to <paramref name="timeout"/> for the lock; false when another process still holds it.</summary>
    public static FileLock? TryAcquire(string path, TimeSpan timeout, CancellationToken cancellationToken, Action? onWait = null)
    {
        SecureInstall.Core.IO.UnixFileSystem.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!, 0x1ED /* 0755 whatever the umask */);
        try
        {
            // Created 0644 (not 0666 under umask 000); an existing lock file is used as it is.
            if (!File.Exists(path)) SecureInstall.Core.IO.UnixFileSystem.CreateNewFile(path, 0x1A4).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
        }
        var clock = Stopwatch.StartNew();
        bool told = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                if (!told) { onWait?.Invoke(); told = true; }
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
