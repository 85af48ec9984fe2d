namespace SecureInstall.Core.IO;

/// <summary>A folder was named where a file is read (a file to hash, an archive to extract).</summary>
public sealed class PathIsDirectoryException : SecureInstallException
{
    public PathIsDirectoryException(string path, Exception? inner = null)
        : base($"'{path}' is a folder, not a file. Name a file; for the files in the folder, name them (e.g. '{System.IO.Path.Combine(path, "*")}').",
               ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, path, inner)
    {
        Path = path;
    }

    public string Path { get; }
}
