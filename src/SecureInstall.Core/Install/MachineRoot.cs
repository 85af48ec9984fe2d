using System.Runtime.InteropServices;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>
/// What a machine-wide (-Scope AllUsers) install asks of the operating system: whether this process is elevated, why a path
/// would let a non-administrator change it, and how to make a new install root admin-only. An interface so the rules that
/// use it are tested on any OS (a not-elevated process, a Windows ACL) without the real thing.
/// </summary>
public interface IMachineRootSecurity
{
    /// <summary>Administrator (Windows) or root (Unix).</summary>
    bool IsElevated { get; }

    /// <summary>Why a non-administrator could change <paramref name="path"/> (its owner, mode or ACL), or null when nobody but administrators can.</summary>
    string? Problem(string path);

    /// <summary>Makes the machine install root <paramref name="home"/> (just created) writable by administrators only, for it and what is made below it.</summary>
    void Secure(string home);
}

/// <summary>
/// Machine-wide installs (issue 21 §3): the root is %ProgramData%\SecureInstall (Windows) or /opt/secureinstall (Linux,
/// macOS), or $SECUREINSTALL_MACHINE_HOME; tools in its tools folder, shims in tools/bin. Installing or uninstalling needs
/// elevation (ElevationRequired); the root and everything below it must be changeable by administrators only, or nothing is
/// installed (InstallRootNotTrusted, naming the path, its owner and mode or ACL): services and scheduled tasks run these
/// tools, so a user who can swap one gains their rights.
/// </summary>
public static class MachineRoot
{
    public const string HomeVariable = "SECUREINSTALL_MACHINE_HOME";

    /// <summary>The security of this OS: <see cref="UnixMachineRootSecurity"/> or <see cref="WindowsMachineRootSecurity"/>.</summary>
    public static IMachineRootSecurity Platform { get; } = UnixFileSystem.IsWindows ? new WindowsMachineRootSecurity() : new UnixMachineRootSecurity();

    /// <summary>$SECUREINSTALL_MACHINE_HOME, else %ProgramData%\SecureInstall or /opt/secureinstall.</summary>
    public static string Home()
    {
        string? overridden = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrEmpty(overridden)) return Path.GetFullPath(overridden);
        return UnixFileSystem.IsWindows ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "SecureInstall") : "/opt/secureinstall";
    }

    /// <summary>The tool root below <see cref="Home"/>.</summary>
    public static string ToolRoot() => Path.Combine(Home(), "tools");

    /// <summary>What to tell the administrator about the shim folder, which is on no user's PATH by itself.</summary>
    public static string PathAdvice(string binDirectory) => UnixFileSystem.IsWindows
        ? $"The shims are in {binDirectory}: add it to the machine PATH (System Properties > Environment Variables, or [Environment]::SetEnvironmentVariable('Path', \"$([Environment]::GetEnvironmentVariable('Path','Machine'));{binDirectory}\", 'Machine'))."
        : $"The shims are in {binDirectory}: add it to the machine PATH (e.g. echo 'export PATH=\"{binDirectory}:$PATH\"' > /etc/profile.d/secureinstall.sh).";

    /// <summary>Throws ElevationRequired (PermissionDenied) unless this process is Administrator / root.</summary>
    public static void RequireElevation(string action, IMachineRootSecurity? security = null)
    {
        if ((security ?? Platform).IsElevated) return;
        throw new InstallException(ErrorIds.ElevationRequired, FailureKind.PermissionDenied, Home(),
            $"{action} for all users (-Scope AllUsers) needs {(UnixFileSystem.IsWindows ? "an elevated session (Run as Administrator)" : "root (sudo)")}; this process is not. Run it elevated, or install for the current user (-Scope CurrentUser).");
    }

    /// <summary>
    /// Every path at or below <paramref name="home"/> that a non-administrator could change, with why ("'/opt/secureinstall/tools/bin': owned by uid 65534, not root");
    /// symbolic links are judged by their own entry, never followed. Empty when <paramref name="home"/> does not exist.
    /// </summary>
    public static IReadOnlyList<string> Problems(string home, IMachineRootSecurity? security = null)
    {
        IMachineRootSecurity s = security ?? Platform;
        var problems = new List<string>();
        if (!UnixFileSystem.TryGetEntry(home, out _)) return problems;
        var pending = new Stack<string>();
        pending.Push(home);
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            if (s.Problem(path) is { } why) problems.Add($"'{path}': {why}");
            if (!UnixFileSystem.TryGetEntry(path, out FileStatus entry) || entry.Kind != UnixEntryKind.Directory) continue;
            foreach (string child in Directory.EnumerateFileSystemEntries(path)) pending.Push(child);
        }
        return problems;
    }

    /// <summary>
    /// For Test-PinnedTool / verify-installed -Scope AllUsers (no elevation needed to look): InstallRootNotTrusted naming every
    /// path below the root of <paramref name="toolRoot"/> a non-administrator could change, or null when there is none.
    /// </summary>
    public static InstallException? Check(string toolRoot, IMachineRootSecurity? security = null)
    {
        string home = HomeOf(toolRoot);
        IReadOnlyList<string> problems = Problems(home, security);
        return problems.Count == 0 ? null : NotTrusted(home, problems, "The tools installed there cannot be trusted");
    }

    private static string HomeOf(string toolRoot) => Path.GetDirectoryName(Path.GetFullPath(toolRoot).TrimEnd(Path.DirectorySeparatorChar))!;

    private static InstallException NotTrusted(string home, IReadOnlyList<string> problems, string consequence) =>
        new(ErrorIds.InstallRootNotTrusted, FailureKind.Security, home,
            $"The all-users install root '{home}' can be changed by users who are not administrators, so a tool a service runs from it could be swapped: "
            + string.Join("; ", problems) + $". {consequence}. Make it admin-only "
            + (UnixFileSystem.IsWindows ? "(owner Administrators; Administrators and SYSTEM full control, Users read and execute, inheritance removed)" : "(chown -R root:root; chmod -R go-w)")
            + ", or remove it and install again.");

    /// <summary>
    /// Before an all-users install or uninstall: elevated, the root's tree changeable by administrators only (else
    /// InstallRootNotTrusted naming each offending path); a new root is created and secured (<see cref="IMachineRootSecurity.Secure"/>).
    /// </summary>
    public static void EnsureReady(string toolRoot, string action, bool create, IMachineRootSecurity? security = null)
    {
        IMachineRootSecurity s = security ?? Platform;
        RequireElevation(action, s);
        string home = HomeOf(toolRoot);
        bool existed = UnixFileSystem.TryGetEntry(home, out _);
        if (!existed && create)
        {
            UnixFileSystem.CreateDirectory(home, 0x1ED /* 0755 */);
            s.Secure(home);
        }
        IReadOnlyList<string> problems = Problems(home, s);
        if (problems.Count > 0) throw NotTrusted(home, problems, "Nothing was changed");
    }
}

/// <summary>Unix: root (euid 0), and every entry owned by root and not writable by group or others (links by their own entry).</summary>
public sealed class UnixMachineRootSecurity : IMachineRootSecurity
{
    public bool IsElevated => UnixFileSystem.EffectiveUserId == 0;

    public string? Problem(string path)
    {
        // Owners are read on Linux and macOS (UnixFileSystem.CanReadOwners); elsewhere the check passes, as the cache's does.
        if (!UnixFileSystem.CanReadOwners || !UnixFileSystem.TryGetEntry(path, out FileStatus s)) return null;
        if (s.Owner != 0) return $"owned by uid {s.Owner}, not root (mode {s.Permissions})";
        if (s.Kind != UnixEntryKind.SymbolicLink && s.IsWritableByOthers)
            return $"writable by {((s.Mode & 0x2) != 0 ? "other users" : "its group")} (mode {s.Permissions}, owner root)";
        return null;
    }

    /// <summary>Created by root 0755 whatever the umask, and everything below it too (UnixFileSystem, AtomicFile): nothing more to do.</summary>
    public void Secure(string home)
    {
        if (UnixFileSystem.CanReadOwners && UnixFileSystem.Status(home, followLinks: false) is FileStatus s && s.IsWritableByOthers) UnixFileSystem.SetMode(home, 0x1ED);
    }
}

/// <summary>
/// The Windows calls <see cref="WindowsMachineRootSecurity"/> makes, behind an interface so its rules run on any OS
/// (<see cref="NativeWindowsSecurity"/> is the real thing).
/// </summary>
public interface IWindowsSecurityApi
{
    /// <summary>An elevated (Administrator) token.</summary>
    bool IsElevated { get; }

    /// <summary>The owner this process gives what it creates (its token's TOKEN_OWNER), as SDDL writes it ("BA", "S-1-5-21-…-1001", "LA").</summary>
    string DefaultOwner { get; }

    /// <summary>The owner and DACL of <paramref name="path"/> (not following a link) in SDDL form.</summary>
    string ReadSddl(string path);

    /// <summary>Sets the owner and the protected DACL of <paramref name="path"/> from <paramref name="sddl"/>.</summary>
    void WriteSddl(string path, string sddl);
}

/// <summary>
/// Windows: an elevated token, and the ACL <see cref="WindowsAcl.MachineRootSddl"/> on the root (inherited below it). The
/// decisions are <see cref="WindowsAcl"/>'s, tested on every OS; this class only reads and writes security descriptors.
/// </summary>
public sealed class WindowsMachineRootSecurity(IWindowsSecurityApi? windows = null) : IMachineRootSecurity
{
    private readonly IWindowsSecurityApi _windows = windows ?? new NativeWindowsSecurity();

    public bool IsElevated => _windows.IsElevated;

    /// <remarks>
    /// Every entry's owner is judged, not only the root's: a user who pre-created tools\bin owns it and so may rewrite its
    /// ACL. Trusted owners are Administrators, SYSTEM, TrustedInstaller and, when elevated, the default owner this token
    /// gives what it creates (the administrator's own account under the "Object creator" policy): what the installer made.
    /// </remarks>
    public string? Problem(string path) => WindowsAcl.Problem(_windows.ReadSddl(path), _windows.IsElevated ? _windows.DefaultOwner : null);

    public void Secure(string home) => _windows.WriteSddl(home, WindowsAcl.MachineRootSddl);
}

/// <summary>The Windows security calls (advapi32, shell32); only on Windows.</summary>
public sealed class NativeWindowsSecurity : IWindowsSecurityApi
{
    public bool IsElevated => IsUserAnAdmin();

    public string DefaultOwner
    {
        get
        {
            if (!OpenProcessToken(GetCurrentProcess(), 0x8 /* TOKEN_QUERY */, out IntPtr token))
                throw new IOException($"this process's token could not be opened (error {Marshal.GetLastWin32Error()}).");
            try
            {
                GetTokenInformation(token, 4 /* TokenOwner */, IntPtr.Zero, 0, out int size);
                IntPtr buffer = Marshal.AllocHGlobal(size);
                try
                {
                    if (!GetTokenInformation(token, 4, buffer, size, out _))
                        throw new IOException($"this process's default owner could not be read (error {Marshal.GetLastWin32Error()}).");
                    if (!ConvertSidToStringSidW(Marshal.ReadIntPtr(buffer), out IntPtr text))
                        throw new IOException($"this process's default owner could not be read (error {Marshal.GetLastWin32Error()}).");
                    string sid;
                    try { sid = Marshal.PtrToStringUni(text) ?? string.Empty; }
                    finally { LocalFree(text); }
                    // Through a descriptor and back, so the SID reads as ReadSddl writes owners ("BA", "LA" for the built-in Administrator).
                    string sddl = Convert("O:" + sid, 0x1, sid);
                    return sddl.StartsWith("O:", StringComparison.Ordinal) ? sddl.Substring(2) : sid;
                }
                finally
                {
                    Marshal.FreeHGlobal(buffer);
                }
            }
            finally
            {
                CloseHandle(token);
            }
        }
    }

    public void WriteSddl(string path, string sddl)
    {
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out IntPtr descriptor, out _))
            throw new IOException($"the ACL for {path} could not be built (error {Marshal.GetLastWin32Error()}).");
        try
        {
            if (!GetSecurityDescriptorDacl(descriptor, out _, out IntPtr dacl, out _) || !GetSecurityDescriptorOwner(descriptor, out IntPtr owner, out _))
                throw new IOException($"the ACL for {path} could not be read back (error {Marshal.GetLastWin32Error()}).");
            // OWNER | DACL | PROTECTED_DACL: inheritance from the parent removed, as the ACL says.
            const uint Info = 0x1 | 0x4 | 0x80000000;
            int error = SetNamedSecurityInfoW(path, 1 /* SE_FILE_OBJECT */, Info, owner, IntPtr.Zero, dacl, IntPtr.Zero);
            if (error != 0) throw new UnauthorizedAccessException($"the ACL of {path} could not be set (error {error}).");
        }
        finally
        {
            LocalFree(descriptor);
        }
    }

    public string ReadSddl(string path)
    {
        const uint Info = 0x1 | 0x4; // OWNER | DACL
        int error = GetNamedSecurityInfoW(path, 1, Info, out _, out _, out _, out _, out IntPtr descriptor);
        if (error != 0) throw new IOException($"the ACL of {path} could not be read (error {error}).");
        try
        {
            return ToSddl(descriptor, Info, path);
        }
        finally
        {
            LocalFree(descriptor);
        }
    }

    private static string Convert(string sddl, uint information, string what)
    {
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out IntPtr descriptor, out _))
            throw new IOException($"the security descriptor of {what} could not be built (error {Marshal.GetLastWin32Error()}).");
        try { return ToSddl(descriptor, information, what); }
        finally { LocalFree(descriptor); }
    }

    private static string ToSddl(IntPtr descriptor, uint information, string what)
    {
        if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(descriptor, 1, information, out IntPtr text, out _))
            throw new IOException($"the ACL of {what} could not be read (error {Marshal.GetLastWin32Error()}).");
        try { return Marshal.PtrToStringUni(text) ?? string.Empty; }
        finally { LocalFree(text); }
    }

    [DllImport("kernel32.dll")]
    private static extern IntPtr GetCurrentProcess();

    [DllImport("advapi32.dll", SetLastError = true)]
    private static extern bool OpenProcessToken(IntPtr process, uint access, out IntPtr token);

    [DllImport("advapi32.dll", SetLastError = true)]
    private static extern bool GetTokenInformation(IntPtr token, int informationClass, IntPtr information, int length, out int returnLength);

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern bool ConvertSidToStringSidW(IntPtr sid, out IntPtr text);

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern bool CloseHandle(IntPtr handle);

    [DllImport("shell32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool IsUserAnAdmin();

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern bool ConvertStringSecurityDescriptorToSecurityDescriptorW(string sddl, uint revision, out IntPtr descriptor, out uint size);

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern bool ConvertSecurityDescriptorToStringSecurityDescriptorW(IntPtr descriptor, uint revision, uint information, out IntPtr sddl, out uint length);

    [DllImport("advapi32.dll", SetLastError = true)]
    private static extern bool GetSecurityDescriptorDacl(IntPtr descriptor, out bool present, out IntPtr dacl, out bool defaulted);

    [DllImport("advapi32.dll", SetLastError = true)]
    private static extern bool GetSecurityDescriptorOwner(IntPtr descriptor, out IntPtr owner, out bool defaulted);

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
    private static extern int GetNamedSecurityInfoW(string name, int type, uint information, out IntPtr owner, out IntPtr group, out IntPtr dacl, out IntPtr sacl, out IntPtr descriptor);

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
    private static extern int SetNamedSecurityInfoW(string name, int type, uint information, IntPtr owner, IntPtr group, IntPtr dacl, IntPtr sacl);

    [DllImport("kernel32.dll")]
    private static extern IntPtr LocalFree(IntPtr memory);
}
