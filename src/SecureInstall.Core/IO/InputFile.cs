namespace SecureInstall.Core.IO;

/// <summary>Opens a file that is read as input (a list, a manifest, a key, a file to hash).</summary>
public static class InputFile
{
    /// <summary>
    /// A FileStream for reading; a folder is <see cref="PathIsDirectoryException"/> naming it, where FileStream says only
    /// "access denied" (which reads like a permission problem and sends people the wrong way).
    /// </summary>
    public static FileStream OpenRead(string path, FileShare share = FileShare.Read, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, share, bufferSize, options);
        }
        catch (UnauthorizedAccessException ex) when (Directory.Exists(path))
        {
            throw new PathIsDirectoryException(path, ex);
        }
    }
}
