using System.Runtime.InteropServices;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>
/// Windows' persistent environment, the Path value of HKCU\Environment (the user's) or of HKLM\SYSTEM\CurrentControlSet\
/// Control\Session Manager\Environment (the machine's): an interface so what <see cref="PathVariable"/> writes there is tested
/// on any OS (<see cref="NativeWindowsEnvironment"/> is the real one).
/// </summary>
public interface IWindowsEnvironment
{
    /// <summary>The Path value as stored (never expanded) and whether it is REG_EXPAND_SZ; null when there is none.</summary>
    StoredPath? ReadPath(bool machine);

    /// <summary>Writes the Path value, as REG_EXPAND_SZ when <paramref name="expandable"/> (else REG_SZ).</summary>
    void WritePath(bool machine, string value, bool expandable);

    /// <summary>Broadcasts WM_SETTINGCHANGE ("Environment") so Explorer, and what it starts next, read the new value.</summary>
    void Broadcast();
}

/// <summary>A Path value as the registry holds it.</summary>
public sealed class StoredPath(string value, bool expandable)
{
    public string Value { get; } = value;

    /// <summary>REG_EXPAND_SZ: entries such as %SystemRoot%\system32 are expanded when read, so it must stay that type.</summary>
    public bool Expandable { get; } = expandable;
}

/// <summary>What <see cref="PathVariable.Plan"/> would change, shown by -WhatIf before <see cref="PathVariable.Apply"/> does it.</summary>
public sealed class PathChange
{
    internal PathChange(string directory, InstallScope scope, string target, string? before, string after, bool expandable, bool machine)
    {
        Directory = directory;
        Scope = scope;
        Target = target;
        Before = before;
        After = after;
        Expandable = expandable;
        Machine = machine;
    }

    /// <summary>The shim folder added.</summary>
    public string Directory { get; }

    public InstallScope Scope { get; }

    /// <summary>Where: "the machine PATH (HKEY_LOCAL_MACHINE\…\Environment, Path)", "/etc/profile.d/secureinstall.sh", ….</summary>
    public string Target { get; }

    /// <summary>The registry value or file text now; null when there is none.</summary>
    public string? Before { get; }

    /// <summary>The registry value or file text after the change.</summary>
    public string After { get; }

    internal bool Expandable { get; }
    internal bool Machine { get; }

    /// <summary>False when the folder is already there: nothing is written.</summary>
    public bool Changes => !string.Equals(Before, After, StringComparison.Ordinal);

    /// <summary>For -WhatIf and ShouldProcess: "Add C:\ProgramData\SecureInstall\tools\bin to the machine PATH (…)".</summary>
    public string Action => $"Add {Directory} to {Target}";
}

/// <summary>Where <see cref="PathVariable"/> writes on this system; tests point it at a fake registry, another OS or another /etc.</summary>
public sealed class PathVariableSystem
{
    /// <summary>"windows", "darwin" or "linux" (any other Unix is treated as Linux: /etc/profile.d).</summary>
    public string Os { get; set; } = UnixFileSystem.IsWindows ? "windows" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "darwin" : "linux";

    /// <summary>The registry on Windows.</summary>
    public IWindowsEnvironment? Windows { get; set; }

    /// <summary>The folder holding profile.d and paths.d: /etc.</summary>
    public string Etc { get; set; } = "/etc";

    /// <summary>Whether this process may change the machine's PATH (Administrator / root).</summary>
    public IMachineRootSecurity? Security { get; set; }

    /// <summary>This machine.</summary>
    public static PathVariableSystem Current() => new() { Windows = UnixFileSystem.IsWindows ? new NativeWindowsEnvironment() : null };
}

/// <summary>
/// Puts the shim folder on the PATH new sessions get (-AddToPath): on Windows the user's Path (CurrentUser) or the
/// machine's (AllUsers) in the registry, kept REG_EXPAND_SZ with its entries as they were, the folder appended once, then
/// WM_SETTINGCHANGE; for all users on Linux a root-owned 0644 /etc/profile.d/secureinstall.sh that login shells source,
/// on macOS /etc/paths.d/secureinstall that path_helper reads; both written atomically. For the current user on Linux
/// and macOS nothing persistent is written (a profile is the user's own file): <see cref="Advice"/> says what to add.
/// </summary>
public static class PathVariable
{
    public const string MachineKey = @"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
    public const string UserKey = @"HKEY_CURRENT_USER\Environment";
    public const string ProfileScript = "profile.d/secureinstall.sh";
    public const string PathsFile = "paths.d/secureinstall";

    /// <summary>
    /// The change that puts <paramref name="directory"/> on the persistent PATH of <paramref name="scope"/> (its
    /// <see cref="PathChange.Changes"/> false when it is already there), or null when there is nowhere to write: the
    /// current user on Unix, or an /etc without profile.d / paths.d (then <see cref="Advice"/>).
    /// </summary>
    public static PathChange? Plan(string directory, InstallScope scope, PathVariableSystem? system = null)
    {
        if (directory == null) throw new ArgumentNullException(nameof(directory));
        PathVariableSystem s = system ?? PathVariableSystem.Current();
        if (s.Os == "windows")
        {
            bool machine = scope == InstallScope.AllUsers;
            IWindowsEnvironment registry = s.Windows ?? throw new PlatformNotSupportedException("the Windows registry is not available.");
            StoredPath? stored = registry.ReadPath(machine);
            string before = stored?.Value ?? string.Empty;
            string after = Contains(before, directory) ? before : before.Length == 0 ? directory : before.TrimEnd(';') + ";" + directory;
            // A Path that did not exist is made REG_EXPAND_SZ, as Windows makes its own.
            return new PathChange(directory, scope, machine ? $"the machine PATH ({MachineKey}, Path)" : $"the user's PATH ({UserKey}, Path)",
                stored?.Value, after, stored?.Expandable ?? true, machine);
        }
        if (scope != InstallScope.AllUsers) return null;
        if (directory.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0) throw new ArgumentException($"The folder '{directory}' holds a line break.", nameof(directory));
        bool mac = s.Os == "darwin";
        string file = Path.Combine(s.Etc, mac ? PathsFile : ProfileScript);
        if (!Directory.Exists(Path.GetDirectoryName(file))) return null;
        string text = mac
            ? directory + "\n"
            : "# Written by SecureInstall (-Scope AllUsers -AddToPath): the all-users shim folder on PATH for login shells.\n"
              + $"case \":$PATH:\" in *:{InstallRootLayout.ShellQuoted(directory)}:*) ;; *) PATH=\"$PATH\":{InstallRootLayout.ShellQuoted(directory)}; export PATH ;; esac\n";
        string? current = File.Exists(file) ? File.ReadAllText(file) : null;
        return new PathChange(directory, scope, file, current, text, expandable: false, machine: true);
    }

    /// <summary>
    /// Makes <paramref name="change"/> (nothing when it changes nothing). The machine's PATH needs elevation
    /// (ElevationRequired otherwise, nothing written).
    /// </summary>
    public static void Apply(PathChange change, PathVariableSystem? system = null)
    {
        if (change == null) throw new ArgumentNullException(nameof(change));
        if (!change.Changes) return;
        PathVariableSystem s = system ?? PathVariableSystem.Current();
        if (change.Machine) MachineRoot.RequireElevation($"Adding {change.Directory} to the PATH", s.Security);
        if (s.Os == "windows")
        {
            IWindowsEnvironment registry = s.Windows ?? throw new PlatformNotSupportedException("the Windows registry is not available.");
            registry.WritePath(change.Machine, change.After, change.Expandable);
            registry.Broadcast();
            return;
        }
        // Written by root, 0644, by rename: a login shell sources the old file or the whole new one, and the temporary
        // name (".secureinstall.sh.….partial") is never one profile.d or paths.d reads.
        AtomicFile.WriteAllText(change.Target, change.After);
    }

    /// <summary>What to tell the user when <see cref="Plan"/> finds nowhere to write.</summary>
    public static string Advice(string directory, InstallScope scope) => scope == InstallScope.AllUsers
        ? MachineRoot.PathAdvice(directory)
        : $"For new shells add it to your profile: export PATH=\"{directory}:$PATH\"";

    /// <summary>Whether the Path value holds <paramref name="directory"/> already, as written or once %VARIABLES% are expanded (case and a trailing '\' aside).</summary>
    private static bool Contains(string path, string directory)
    {
        string wanted = directory.TrimEnd('\\', '/');
        return path.Split(';').Any(entry => entry.Length > 0
            && (string.Equals(entry.TrimEnd('\\', '/'), wanted, StringComparison.OrdinalIgnoreCase)
                || string.Equals(Environment.ExpandEnvironmentVariables(entry).TrimEnd('\\', '/'), wanted, StringComparison.OrdinalIgnoreCase)));
    }
}

/// <summary>The registry and the broadcast through advapi32 and user32; only on Windows.</summary>
public sealed class NativeWindowsEnvironment : IWindowsEnvironment
{
    private static readonly UIntPtr CurrentUser = unchecked((UIntPtr)0x80000001u);
    private static readonly UIntPtr LocalMachine = unchecked((UIntPtr)0x80000002u);
    private const string MachineSubKey = @"SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
    private const int RegSz = 1, RegExpandSz = 2;

    public StoredPath? ReadPath(bool machine)
    {
        UIntPtr key = Open(machine, 0x20019 /* KEY_READ */);
        try
        {
            int size = 0;
            int error = RegQueryValueExW(key, "Path", IntPtr.Zero, out int type, null, ref size);
            if (error == 2 /* ERROR_FILE_NOT_FOUND */) return null;
            if (error != 0) throw new IOException($"the Path value of {Where(machine)} could not be read (error {error}).");
            if (type != RegSz && type != RegExpandSz) throw new IOException($"the Path value of {Where(machine)} is of registry type {type}, not a string; it was left as it is.");
            byte[] data = new byte[size];
            error = RegQueryValueExW(key, "Path", IntPtr.Zero, out type, data, ref size);
            if (error != 0) throw new IOException($"the Path value of {Where(machine)} could not be read (error {error}).");
            return new StoredPath(System.Text.Encoding.Unicode.GetString(data, 0, size).TrimEnd('\0'), type == RegExpandSz);
        }
        finally
        {
            _ = RegCloseKey(key);
        }
    }

    public void WritePath(bool machine, string value, bool expandable)
    {
        UIntPtr key = Open(machine, 0x20006 /* KEY_WRITE */);
        try
        {
            byte[] data = System.Text.Encoding.Unicode.GetBytes(value + "\0");
            int error = RegSetValueExW(key, "Path", 0, expandable ? RegExpandSz : RegSz, data, data.Length);
            if (error != 0) throw new UnauthorizedAccessException($"the Path value of {Where(machine)} could not be written (error {error}).");
        }
        finally
        {
            _ = RegCloseKey(key);
        }
    }

    public void Broadcast() =>
        SendMessageTimeoutW(new IntPtr(0xFFFF) /* HWND_BROADCAST */, 0x001A /* WM_SETTINGCHANGE */, UIntPtr.Zero, "Environment", 0x0002 /* SMTO_ABORTIFHUNG */, 5000, out _);

    private static string Where(bool machine) => machine ? PathVariable.MachineKey : PathVariable.UserKey;

    private static UIntPtr Open(bool machine, int access)
    {
        int error = RegOpenKeyExW(machine ? LocalMachine : CurrentUser, machine ? MachineSubKey : "Environment", 0, access, out UIntPtr key);
        if (error != 0) throw new UnauthorizedAccessException($"{Where(machine)} could not be opened (error {error}).");
        return key;
    }

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
    private static extern int RegOpenKeyExW(UIntPtr key, string subKey, int options, int desired, out UIntPtr result);

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
    private static extern int RegQueryValueExW(UIntPtr key, string name, IntPtr reserved, out int type, byte[]? data, ref int size);

    [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
    private static extern int RegSetValueExW(UIntPtr key, string name, int reserved, int type, byte[] data, int size);

    [DllImport("advapi32.dll")]
    private static extern int RegCloseKey(UIntPtr key);

    [DllImport("user32.dll", CharSet = CharSet.Unicode)]
    private static extern IntPtr SendMessageTimeoutW(IntPtr window, int message, UIntPtr wParam, string lParam, int flags, int timeout, out UIntPtr result);
}
