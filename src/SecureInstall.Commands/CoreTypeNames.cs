using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Commands;

/// <summary>
/// Keeps type literals such as <c>[SecureInstall.Core.Downloads.DownloadResult]</c> working on PowerShell 7 once
/// SecureInstall.Core lives in its own load context: PowerShell resolves type names only among the default context's
/// assemblies, so each public type of SecureInstall.Core is added as a type accelerator under its full name (the way
/// about_Classes documents for exporting types), and removed again with the module.
/// </summary>
internal static class CoreTypeNames
{
    private static readonly List<string> Added = new List<string>();

    // Not inlined: compiling a method that names a SecureInstall.Core type loads that assembly, which must wait until
    // ModuleInitializer has said where it comes from.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Register()
    {
        Type? accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        MethodInfo? add = accelerators?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(Type) }, null);
        if (accelerators?.GetProperty("Get", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is not Dictionary<string, Type> existing || add == null) return;
        lock (Added)
        {
            foreach (Type type in typeof(VerifiedDownloader).Assembly.GetExportedTypes())
            {
                if (type.IsGenericTypeDefinition || type.FullName is not string name || existing.ContainsKey(name)) continue;
                add.Invoke(null, new object[] { name, type });
                Added.Add(name);
            }
        }
    }

    public static void Unregister()
    {
        Type? accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        MethodInfo? remove = accelerators?.GetMethod("Remove", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string) }, null);
        if (remove == null) return;
        lock (Added)
        {
            foreach (string name in Added) remove.Invoke(null, new object[] { name });
            Added.Clear();
        }
    }
}
