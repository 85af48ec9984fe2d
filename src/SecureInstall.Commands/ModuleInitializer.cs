using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace SecureInstall.Commands;

/// <summary>
/// Windows PowerShell 5.1 runs on .NET Framework, which has no binding redirects for a module's dependencies:
/// System.Text.Json asks for System.Runtime.CompilerServices.Unsafe 4.0.4.1 while bin/ holds 6.0.0.0, and the load
/// fails. This resolver answers such requests with the copy in the module's bin folder (same simple name, version
/// at least the one asked for). PowerShell 7 resolves module dependencies itself, so nothing is registered there.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string BinDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
    private static readonly bool IsNetFramework =
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

    public void OnImport()
    {
        if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    public void OnRemove(PSModuleInfo module)
    {
        if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
    }

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var requested = new AssemblyName(args.Name);
        string candidate = Path.Combine(BinDirectory, requested.Name + ".dll");
        if (!File.Exists(candidate)) return null;
        AssemblyName available = AssemblyName.GetAssemblyName(candidate);
        // Only roll forward, never back, and only for files shipped beside the module.
        if (requested.Version != null && available.Version != null && available.Version < requested.Version) return null;
        return Assembly.LoadFrom(candidate);
    }
}
