using System.Security.Cryptography;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// The file the platform check (WinVerifyTrust) reads: a private copy of the bytes the managed check read, named
/// "artifact" plus the artifact's own extension, in a new folder only this user can write (0700 under the user's
/// temporary folder). WinVerifyTrust picks the SIP of a script (and of an MSI) by the file name's extension, so a download
/// checked as ".x.1a2b.partial" would be refused by Windows and the agreement rule would then refuse the file; and a copy
/// made from the held source and held itself leaves no moment in which the two checks can be shown different bytes.
/// WINTRUST_FILE_INFO.hFile is not relied on: Microsoft documents it only as "optional", not that the SIP is chosen by it
/// rather than by pcwszFilePath, nor that every SIP reads through it.
/// </summary>
internal sealed class PlatformCopy : IDisposable
{
    private const int MaximumExtension = 16;
    private readonly string _folder;
    private FileStream? _held;

    private PlatformCopy(string folder, string path)
    {
        _folder = folder;
        Path = path;
    }

    /// <summary>The copy's full path, "…/secureinstall-wvt-…/artifact.ps1".</summary>
    public string Path { get; }

    /// <summary>
    /// Copies <paramref name="source"/> (held open by the caller with writers denied, from before the managed check) under
    /// the extension of <paramref name="typedName"/>, and holds the copy with writers denied until disposed.
    /// </summary>
    /// <exception cref="SignatureInvalidException">the copy read back differs from what was written.</exception>
    public static PlatformCopy Of(FileStream source, string typedName, SignatureResult result, CancellationToken cancel)
    {
        if (source == null) throw new ArgumentNullException(nameof(source));
        if (result == null) throw new ArgumentNullException(nameof(result));
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "secureinstall-wvt-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        UnixFileSystem.CreateDirectory(folder, 0x1C0 /* 0700 */);
        var copy = new PlatformCopy(folder, System.IO.Path.Combine(folder, "artifact" + SafeExtension(typedName)));
        try
        {
            copy.Fill(source, result, cancel);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The extension the copy is named with: <paramref name="typedName"/>'s, when it is letters and digits only and short
    /// (a URI's name is the server's to choose); else none, and Windows goes by the bytes alone (right for PE and cabinets).
    /// </summary>
    internal static string SafeExtension(string typedName)
    {
        string extension = PowerShellScript.ExtensionOf(typedName);
        if (extension.Length < 2 || extension.Length > MaximumExtension + 1) return "";
        for (int i = 1; i < extension.Length; i++)
        {
            char c = extension[i];
            if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')) return "";
        }
        return extension;
    }

    private void Fill(FileStream source, SignatureResult result, CancellationToken cancel)
    {
        byte[] written;
        source.Position = 0;
        using (var sha = SHA256.Create())
        using (FileStream target = UnixFileSystem.CreateNewFile(Path, 0x180 /* 0600 */))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                target.Write(buffer, 0, read);
                sha.TransformBlock(buffer, 0, read, null, 0);
            }
            sha.TransformFinalBlock(buffer, 0, 0);
            written = sha.Hash;
        }
        // WinVerifyTrust cannot share a write handle: the copy is reopened read-only with writers denied, and hashed again,
        // so a change between the close and the reopen (only this user can write the folder) fails instead of passing.
        _held = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        byte[] held;
        using (var sha = SHA256.Create()) held = sha.ComputeHash(_held);
        if (!written.SequenceEqual(held))
            throw new SignatureInvalidException(result.AsInvalid(), $"the private copy made for the platform check ('{Path}') changed after it was written; the file is refused");
    }

    /// <summary>Releases the copy and removes it and its folder; a copy that cannot be removed is left in the temporary folder.</summary>
    public void Dispose()
    {
        _held?.Dispose();
        _held = null;
        try
        {
            if (File.Exists(Path)) File.Delete(Path);
            Directory.Delete(_folder, recursive: false);
        }
        catch (IOException)
        {
            // Another process (an antivirus scanner) may still have the copy open; it holds nothing secret.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
