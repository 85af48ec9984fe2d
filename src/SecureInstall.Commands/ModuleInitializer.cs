using System.Management.Automation;
using System.Reflection;

namespace SecureInstall.Commands;

/// <summary>
/// Makes the module's dependencies, which live in bin/deps rather than beside this assembly, load from there: on
/// PowerShell 7.4+ into a load context of their own (SecureInstall.Loader), so a different version of YamlDotNet,
/// BouncyCastle or SharpCompress already loaded by another module is neither used by us nor broken by us.
/// </summary>
/// <remarks>
/// Windows PowerShell 5.1 runs on .NET Framework, which has no load contexts and no binding redirects for a module's
/// dependencies (System.Text.Json asks for System.Runtime.CompilerServices.Unsafe 4.0.4.1 while deps holds 6.0.0.0): an
/// AssemblyResolve handler answers such requests with the copy in deps (same simple name, version at least the one asked
/// for). PowerShell 7 before 7.4 (.NET 6 and 7) cannot load the net8.0 loader and gets the same handler.
/// </remarks>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string BinDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
    private static readonly string DependencyDirectory = Path.Combine(BinDirectory, "deps");
    // Not SecureInstall.Core's HostRuntime: this runs before SecureInstall.Core may be loaded.
    private static readonly bool IsNetFramework =
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);
    private static bool _resolving;

    public void OnImport()
    {
        if (!IsNetFramework && TryIsolate())
        {
            CoreTypeNames.Register();
            return;
        }
        if (_resolving) return;
        AppDomain.CurrentDomain.AssemblyResolve += Resolve;
        _resolving = true;
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        // The isolated context stays: what it loaded cannot be unloaded, and a later import uses it again.
        CoreTypeNames.Unregister();
        if (!_resolving) return;
        AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
        _resolving = false;
    }

    private static bool TryIsolate()
    {
        try
        {
            Assembly loader = Assembly.LoadFrom(Path.Combine(BinDirectory, "SecureInstall.Loader.dll"));
            loader.GetType("SecureInstall.Loader.DependencyIsolation", throwOnError: true)!
                .GetMethod("Register", BindingFlags.Public | BindingFlags.Static)!
                .Invoke(null, new object[] { DependencyDirectory });
            return true;
        }
        catch (Exception ex) when (IsLoadFailure(ex is TargetInvocationException { InnerException: Exception inner } ? inner : ex))
        {
            return false; // .NET before 8 cannot run the loader: the handler below
        }
    }

    private static bool IsLoadFailure(Exception ex) =>
        ex is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException or MissingMethodException;

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var requested = new AssemblyName(args.Name);
        string candidate = Path.Combine(DependencyDirectory, requested.Name + ".dll");
        if (!File.Exists(candidate)) return null;
        AssemblyName available = AssemblyName.GetAssemblyName(candidate);
        // Only roll forward, never back, and only for files shipped with the module.
        if (requested.Version != null && available.Version != null && available.Version < requested.Version) return null;
        return Assembly.LoadFrom(candidate);
    }
}
