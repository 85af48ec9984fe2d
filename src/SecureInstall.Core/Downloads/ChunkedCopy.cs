using System.Buffers;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Copies a body (a response, a file) into a <see cref="DigestSink"/> in large chunks: with two pooled buffers on a thread
/// of its own, so while one chunk is hashed and written (on the sink's thread) the next is read, and the network overlaps
/// with the hash and the disk. The size limit is enforced on every read, before the bytes are kept; progress is reported
/// a few times a second; a body that starts like an HTML page is refused.
/// </summary>
internal sealed class ChunkedCopy
{
    /// <summary>A response body is read with blocking reads while more than this is still to come (see ReadsBlocking).</summary>
    private const long BlockingReadMargin = 4L * 1024 * 1024;
    private readonly int _bufferSize;

    public ChunkedCopy(int bufferSize)
    {
        if (bufferSize < 4096) throw new ArgumentOutOfRangeException(nameof(bufferSize), "BufferSize must be at least 4096.");
        _bufferSize = bufferSize;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to its end into <paramref name="sink"/> (appending to what it holds). With a
    /// <paramref name="watch"/> the source is a response body: a network failure ends the copy as a
    /// <see cref="TransientFailure"/>, keeping the whole chunks received so the next attempt can resume after them.
    /// </summary>
    /// <remarks>
    /// LongRunning gives the loop a thread of its own (its reads block, see <see cref="Copy"/>) instead of holding a
    /// thread-pool thread. It replaced a Thread started by hand (DedicatedThread, issue 19): DownloadBench, 512 MiB from the
    /// sendfile server, interleaved runs, showed the same client CPU per download (0.72-0.85 s against 0.72-0.80 s) and
    /// cache-hit ratio (0.93-1.06x against 1.12-1.13x), within the noise of a shared machine.
    /// </remarks>
    public Task CopyAsync(Stream source, DigestSink sink, long? total, long maximumSize, Uri uri, IProgress<DownloadProgress>? progress,
        StallWatch? watch, CancellationToken cancellationToken, RateMeter? rate = null, bool checkHtml = false) =>
        Task.Factory.StartNew(() => Copy(source, sink, total, maximumSize, uri, progress, watch, rate ?? new RateMeter(), checkHtml, cancellationToken),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <remarks>
    /// A chunk is handed over once its buffer is at least half full (1 MiB by default), and each read asks for all the room
    /// left in the buffer. Measured on loopback against Kestrel: with 128 KiB chunks from 256 KiB buffers the client spent
    /// 1.2-1.5 s of system time per GiB, with 1 MiB chunks from 2 MiB buffers 0.65-0.9 s (fewer reads, fewer wake-ups
    /// and thread-pool hops), and the download took 0.74-0.96x as long.
    /// Reads block this thread (<see cref="ReadsBlocking"/>) instead of awaiting: an awaited read that waits for the network
    /// resumes on a thread-pool thread, and every idle pool thread spins (sched_yield) before it sleeps; against a
    /// sendfile server that was 0.3-0.4 CPU-s per GiB on 2 cores; with blocking reads (and the ChunkThread) the download took
    /// 0.78x the time in interleaved runs.
    /// </remarks>
    private void Copy(Stream source, DigestSink sink, long? total, long maximumSize, Uri uri, IProgress<DownloadProgress>? progress,
        StallWatch? watch, RateMeter rate, bool checkHtml, CancellationToken cancellationToken)
    {
        int size = _bufferSize;
        int chunkSize = size / 2;
        byte[] reading = ArrayPool<byte>.Shared.Rent(size);
        byte[] spare = ArrayPool<byte>.Shared.Rent(size);
        long position = sink.Length;
        rate.Start(position);
        CancellationToken readToken = watch?.Token ?? cancellationToken;
        try
        {
            while (true)
            {
                // Network reads return what the socket holds (often 64 KiB); gathering a larger chunk before handing it
                // to the hash-and-write thread keeps the per-chunk overhead (a wake-up of that thread) out of the profile.
                int read = 0;
                bool end = false;
                try
                {
                    while (read < chunkSize)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        watch?.Touch();
                        int n = ReadsBlocking(watch, total, position + read)
                            ? source.Read(reading, read, size - read)
                            : source.ReadAsync(reading, read, size - read, readToken).GetAwaiter().GetResult();
                        if (n == 0)
                        {
                            end = true;
                            break;
                        }
                        read += n;
                        // Throttled to a few reports a second; reported per read so a slow link counts up within a chunk.
                        if (progress != null && rate.Due()) progress.Report(new DownloadProgress(uri, position + read, total, rate.BytesPerSecond(position + read)));
                    }
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    // A blocking read ended by disposing the response fails with an I/O error: report the cancellation.
                    throw new OperationCanceledException(cancellationToken);
                }
                catch (Exception ex) when (watch != null && TransientFailure.IsNetworkFailure(ex, watch, cancellationToken))
                {
                    sink.EndWrite();
                    if (read > 0 && position + read <= maximumSize)
                    {
                        // Keep what arrived before the failure: the resumed request starts after it.
                        sink.Write(reading, read);
                        position += read;
                    }
                    throw TransientFailure.From(ex, watch, position);
                }
                // Waits (for at most one chunk's hash and write) for the previous chunk: its buffer is read into next.
                sink.EndWrite();
                if (read == 0) break;
                position += read;
                if (position > maximumSize) throw new SizeLimitExceededException(uri, maximumSize, position);
                if (end || (checkHtml && position - read < DigestSink.PrefixSize))
                {
                    // The last chunk (a small file's only one) is written here; so is the first when its start is checked.
                    sink.Write(reading, read);
                    if (checkHtml && position >= DigestSink.PrefixSize && position - read < DigestSink.PrefixSize
                        && sink.HtmlEvidence() is string evidence) throw new UnexpectedHtmlException(uri, evidence);
                    if (end) break;
                    continue;
                }
                sink.BeginWrite(reading, read);
                (reading, spare) = (spare, reading);
            }
            progress?.Report(new DownloadProgress(uri, position, total, rate.BytesPerSecond(position)));
        }
        finally
        {
            // A chunk still being written must finish before its buffer goes back to the pool.
            try { sink.EndWrite(); } catch { /* the first failure is already propagating */ }
            ArrayPool<byte>.Shared.Return(reading);
            ArrayPool<byte>.Shared.Return(spare);
        }
    }

    /// <summary>
    /// Whether the next read may block without a cancellation token: always for a file (the loop checks the token between
    /// reads); for a response body only while more than <see cref="BlockingReadMargin"/> is still to come, because a stall
    /// or cancellation ends such a read by disposing the response, and .NET closes the connection at once only when more
    /// than its drain limit (1 MiB) is left; below that it first tries to read the rest, for up to 2 s. The tail, a body
    /// of unknown length and .NET Framework (whose reads ignore tokens anyway) use token-aware reads.
    /// </summary>
    private static bool ReadsBlocking(StallWatch? watch, long? total, long position) =>
        watch == null || (!HostRuntime.IsNetFramework && total.HasValue && total.Value - position > BlockingReadMargin);
}
