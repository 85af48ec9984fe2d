namespace SecureInstall.Core.IO;

/// <summary>
/// Reads a small file that a hostile change may have replaced (a pinned copy, a pin store, a lock or a manifest in a
/// repository): it must be a regular file, not a FIFO or device (which could block the reader or never end), within a
/// size limit counted on the bytes read; by default also not a symbolic link or a second name (hard link) of a file
/// elsewhere. Each refusal is an <see cref="IOException"/> whose message says which; a folder is
/// <see cref="PathIsDirectoryException"/>; a file past the limit is <see cref="FileTooLargeException"/>.
/// </summary>
internal static class RegularFile
{
    /// <param name="allowHardLinks">Accept a file with several names (a lock a user copied with cp -l); a pinned copy must not have them.</param>
    /// <param name="followLinks">Read what a symbolic link leads to (a manifest a monorepo links in); still never a FIFO or device.</param>
    public static byte[] ReadAll(string path, long maximumBytes, bool allowHardLinks = false, bool followLinks = false)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        int fd = UnixFileSystem.Open(path, followLinks);
        if (fd < 0) return ReadChecked(path, maximumBytes, followLinks);
        try
        {
            FileStatus status = RequireRegular(fd, path);
            // Link counts are read where owners are (Linux); elsewhere only the kind and the size are checked.
            if (!allowHardLinks && UnixFileSystem.CanReadOwners && status.LinkCount > 1)
                throw new IOException($"'{path}' is one of {status.LinkCount} names of the same file (a hard link), so it may be a file from elsewhere.");
            if (status.Size > maximumBytes) throw new FileTooLargeException(path, maximumBytes);
            using var content = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = UnixFileReader.Read(fd, buffer, buffer.Length, path)) > 0)
            {
                if (content.Length + n > maximumBytes) throw new FileTooLargeException(path, maximumBytes);
                content.Write(buffer, 0, n);
            }
            return content.ToArray();
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    /// <summary>
    /// Opens a file about to be read to its end (a file being hashed), following links, and keeps it only when it is a
    /// regular file: a FIFO, socket or device named in a checksum list would block the reader (the open and each read wait
    /// for a writer) or never end (/dev/zero). The open does not wait (O_NONBLOCK); fstat says what was opened. Linux and
    /// macOS (<see cref="UnixFileReader.IsAvailable"/>). A folder is <see cref="PathIsDirectoryException"/>, anything else
    /// not a regular file <see cref="NotAFileException"/>.
    /// </summary>
    /// <param name="folder">The folder to open <paramref name="nameInFolder"/> through (the same file as <paramref name="path"/>), or null.</param>
    internal static int OpenToRead(string path, OpenedFolder? folder, string? nameInFolder)
    {
        int fd = folder != null && nameInFolder != null ? folder.OpenFile(nameInFolder, path) : UnixFileReader.Open(path);
        try
        {
            RequireRegular(fd, path);
            return fd;
        }
        catch
        {
            UnixFileReader.Close(fd);
            throw;
        }
    }

    /// <summary>What fstat says of the open <paramref name="fd"/>, when it is a regular file; a folder is <see cref="PathIsDirectoryException"/>, anything else <see cref="NotAFileException"/>.</summary>
    private static FileStatus RequireRegular(int fd, string path)
    {
        FileStatus status = UnixFileSystem.Status(fd);
        if (status.IsDirectory) throw new PathIsDirectoryException(path);
        if (!status.IsRegularFile) throw new NotAFileException(path, Describe(status.Kind));
        return status;
    }

    private static string Describe(UnixEntryKind kind) => kind switch
    {
        UnixEntryKind.Fifo => "FIFO",
        UnixEntryKind.CharacterDevice => "character device",
        UnixEntryKind.BlockDevice => "block device",
        UnixEntryKind.Socket => "socket",
        UnixEntryKind.SymbolicLink => "symbolic link",
        _ => "special file",
    };

    /// <summary>Where no descriptor can be opened without following links (Windows): the link check comes just before the open.</summary>
    private static byte[] ReadChecked(string path, long maximumBytes, bool followLinks)
    {
        var info = new FileInfo(path);
        if (Directory.Exists(path)) throw new PathIsDirectoryException(path);
        if (!info.Exists) throw new FileNotFoundException($"Could not find file '{path}'.", path);
        if (!followLinks && (info.Attributes & FileAttributes.ReparsePoint) != 0) throw new SymbolicLinkRefusedException(path);
        if (info.Length > maximumBytes) throw new FileTooLargeException(path, maximumBytes);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var content = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (content.Length + n > maximumBytes) throw new FileTooLargeException(path, maximumBytes);
            content.Write(buffer, 0, n);
        }
        return content.ToArray();
    }
}

/// <summary>A file read as input is larger than its limit (counted on the bytes read, so /dev/zero is caught too).</summary>
internal sealed class FileTooLargeException : IOException
{
    public FileTooLargeException(string path, long maximumBytes)
        : base($"'{path}' is larger than {maximumBytes:N0} bytes.")
    {
        MaximumBytes = maximumBytes;
    }

    public long MaximumBytes { get; }
}
