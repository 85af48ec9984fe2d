using System.Diagnostics;
using System.Runtime.InteropServices;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// A second local user, uid/gid 65534 (nobody), for tests that play another user on the same machine: files chowned to it,
/// shell commands run as it (setpriv). Needs Linux and root; tests skip with a message elsewhere.
/// </summary>
internal static class Attacker
{
    public const uint Uid = 65534;

    public static bool Available =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && UnixFileSystem.CanReadOwners && UnixFileSystem.EffectiveUserId == 0 && File.Exists("/usr/bin/setpriv");

    public const string SkipReason = "needs Linux, root (to chown to uid 65534) and setpriv";

    /// <summary>Gives <paramref name="path"/> (not what a link points to) to the attacker.</summary>
    public static void Owns(string path)
    {
        if (lchown(UnixFileSystem.Utf8z(path), Uid, Uid) != 0) throw new IOException($"lchown {path} failed: errno {Marshal.GetLastWin32Error()}");
    }

    /// <summary>Runs <paramref name="script"/> with sh as uid/gid 65534 and no supplementary groups; throws when it fails.</summary>
    public static void Runs(string script)
    {
        var start = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", script }) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"as uid 65534: '{script}' failed ({p.ExitCode}): {error}");
    }

    public static FileStatus Stat(string path) => UnixFileSystem.Status(path, followLinks: false) ?? throw new FileNotFoundException(path);

    public static string Mode(string path) => Stat(path).Permissions;

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown(byte[] path, uint owner, uint group);
}
