namespace SecureInstall.Core.Archives;

/// <summary>Counts the compressed bytes a decompressor pulls from the archive: the denominator of the expansion ratio.</summary>
internal sealed class CountingReadStream : Stream
{
    private readonly Stream _inner;

    public CountingReadStream(Stream inner) => _inner = inner;

    public long BytesRead { get; private set; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int read = _inner.Read(buffer, offset, count);
        BytesRead += read;
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Turns a decompressor's complaint about its input (InvalidDataException from zlib, SharpCompress's own exception
/// types, index errors from a hostile stream) into <see cref="ArchiveCorruptException"/>, so a bad archive is always
/// reported as one and never as a bug.
/// </summary>
internal sealed class CorruptionMappingStream : Stream
{
    private readonly Stream _inner;
    private readonly string _archivePath;

    public CorruptionMappingStream(Stream inner, string archivePath)
    {
        _inner = inner;
        _archivePath = archivePath;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return _inner.Read(buffer, offset, count);
        }
        catch (Exception ex) when (IsDataError(ex))
        {
            throw new ArchiveCorruptException(_archivePath, $"the compressed data cannot be decoded ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    internal static bool IsDataError(Exception ex) =>
        ex is InvalidDataException or EndOfStreamException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException
        || ex.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
