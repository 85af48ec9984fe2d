namespace SecureInstall.Core.IO;

/// <summary>
/// Deletes what a failed or finished operation leaves behind, when failing to delete it must not hide the outcome that
/// is already being reported: I/O and permission errors are ignored; the caller checks afterwards if it matters.
/// </summary>
public static class BestEffort
{
    /// <summary>Deletes a folder tree; a link is removed, never its target (Directory.Delete does not follow links).</summary>
    public static void DeleteTree(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static void DeleteFile(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes a folder when it is empty (and is a folder); anything else is left.</summary>
    public static void DeleteEmptyDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any()) Directory.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes whichever is there: a folder tree, a file or a link.</summary>
    public static void Delete(string path)
    {
        if (Directory.Exists(path)) DeleteTree(path);
        else DeleteFile(path);
    }
}
