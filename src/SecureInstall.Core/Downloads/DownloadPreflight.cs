using System;
using System.IO;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// What is checked about a request before any byte is fetched: input that cannot work fails at once, naming the
/// input, instead of after the whole download with a message that named no path.
/// </summary>
internal static class DownloadPreflight
{
    /// <exception cref="InvalidUriException">a checksum-list or signature URI that is not absolute.</exception>
    /// <exception cref="DestinationNotFoundException">the destination's folder does not exist, or the destination is a symbolic link to nothing.</exception>
    public static void Check(DownloadRequest request, string destination)
    {
        if (request.ChecksumUri is { IsAbsoluteUri: false } list) throw new InvalidUriException(list, "The checksum list URI");
        if (request.SignatureUri is { IsAbsoluteUri: false } signature) throw new InvalidUriException(signature, "The signature URI");
        CheckDestination(destination);
    }

    private static void CheckDestination(string destination)
    {
        string? folder = Path.GetDirectoryName(destination);
        if (folder != null && !Directory.Exists(folder))
            throw new DestinationNotFoundException(destination, $"is in the folder '{folder}', which does not exist. Create the folder first, or choose another destination.");
        FileAttributes attributes;
        try
        {
            attributes = File.GetAttributes(destination);
        }
        catch (IOException)
        {
            return; // nothing there yet: the usual case
        }
        catch (UnauthorizedAccessException)
        {
            return; // placing the file reports it, with the path
        }
        if ((attributes & FileAttributes.ReparsePoint) != 0 && !UnixFileSystem.LinkTargetExists(destination))
        {
            string target = UnixFileSystem.ReadLink(destination) ?? "a path that cannot be read";
            throw new DestinationNotFoundException(destination,
                $"is a symbolic link to '{target}', which does not exist. Remove the link, or choose another destination.");
        }
    }
}
