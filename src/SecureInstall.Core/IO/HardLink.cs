using System.Runtime.InteropServices;

namespace SecureInstall.Core.IO;

/// <summary>
/// A second name for an existing file, on the same volume, without copying its bytes (as uv and pnpm link from
/// their stores). Callers fall back to a copy when it fails: another volume, FAT, a file system without links.
/// </summary>
internal static class HardLink
{
    private static readonly bool IsWindows = Path.DirectorySeparatorChar == '\\';

    /// <summary>Creates <paramref name="newPath"/> (which must not exist) as a link to <paramref name="existing"/>.</summary>
    public static bool TryCreate(string existing, string newPath)
    {
        try
        {
            return IsWindows ? CreateHardLinkW(newPath, existing, IntPtr.Zero) : link(UnixFileSystem.Utf8z(existing), UnixFileSystem.Utf8z(newPath)) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern bool CreateHardLinkW(string fileName, string existingFileName, IntPtr securityAttributes);

    [DllImport("libc", SetLastError = true)]
    private static extern int link(byte[] oldPath, byte[] newPath);
}
