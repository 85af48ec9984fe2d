using System;
using System.IO;

namespace SecureInstall.Core.IO;

/// <summary>
/// Reads a small file that a hostile change may have replaced (a pinned copy in a repository, say): it must be a regular
/// file under that very name, not a symbolic link to another file, a FIFO or device, or a second name (hard link) of a
/// file elsewhere, and no larger than a limit. Each refusal is an <see cref="IOException"/> whose message says which.
/// </summary>
internal static class RegularFile
{
    /// <param name="allowHardLinks">Accept a file with several names (a lock a user copied with cp -l); a pinned copy must not have them.</param>
    public static byte[] ReadAll(string path, long maximumBytes, bool allowHardLinks = false)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        int fd = UnixFileSystem.OpenNoFollow(path);
        if (fd < 0) return ReadChecked(path, maximumBytes);
        try
        {
            FileStatus status = UnixFileSystem.Status(fd);
            if (!status.IsRegularFile) throw new IOException($"'{path}' is not a regular file.");
            // Link counts are read where owners are (Linux); elsewhere only the kind and the size are checked.
            if (!allowHardLinks && UnixFileSystem.CanReadOwners && status.LinkCount > 1)
                throw new IOException($"'{path}' is one of {status.LinkCount} names of the same file (a hard link), so it may be a file from elsewhere.");
            if (status.Size > maximumBytes) throw TooLarge(path, maximumBytes);
            using var content = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = UnixFileReader.Read(fd, buffer, buffer.Length, path)) > 0)
            {
                if (content.Length + n > maximumBytes) throw TooLarge(path, maximumBytes);
                content.Write(buffer, 0, n);
            }
            return content.ToArray();
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    /// <summary>Where no descriptor can be opened without following links (Windows): the link check comes just before the open.</summary>
    private static byte[] ReadChecked(string path, long maximumBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Could not find file '{path}'.", path);
        if ((info.Attributes & FileAttributes.ReparsePoint) != 0) throw new SymbolicLinkRefusedException(path);
        if (info.Length > maximumBytes) throw TooLarge(path, maximumBytes);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var content = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (content.Length + n > maximumBytes) throw TooLarge(path, maximumBytes);
            content.Write(buffer, 0, n);
        }
        return content.ToArray();
    }

    private static IOException TooLarge(string path, long maximumBytes) =>
        new($"'{path}' is larger than {maximumBytes:N0} bytes.");
}
