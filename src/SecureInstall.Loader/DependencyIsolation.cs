using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SecureInstall.Loader;

/// <summary>
/// Loads SecureInstall.Core and the libraries only it uses (YamlDotNet, BouncyCastle, SharpCompress) into a load context
/// of their own on PowerShell 7, so another module that loaded a different version of one of them first changes nothing
/// here: without it, PowerShell handed our manifest parser whatever YamlDotNet was already in the process (a newer one
/// silently; an older one failed to load).
/// </summary>
/// <remarks>
/// The cmdlet assembly stays in the default context and reaches SecureInstall.Core through the handler registered here;
/// the framework and PowerShell's own assemblies (the host's trusted platform assemblies) are shared, never loaded twice.
/// </remarks>
public static class DependencyIsolation
{
    private const string CoreAssembly = "SecureInstall.Core";
    private static readonly object Gate = new();
    private static DependencyLoadContext? _context;

    /// <summary>The isolated context, once <see cref="Register"/> ran.</summary>
    public static AssemblyLoadContext? Context => _context;

    /// <summary>
    /// Resolves SecureInstall.Core from <paramref name="dependencyDirectory"/> into the isolated context whenever the default
    /// context cannot find it. Idempotent: a module imported again in the same process keeps the first context.
    /// </summary>
    public static void Register(string dependencyDirectory)
    {
        lock (Gate)
        {
            if (_context != null) return;
            _context = new DependencyLoadContext(dependencyDirectory);
            AssemblyLoadContext.Default.Resolving += ResolveCore;
        }
    }

    private static Assembly? ResolveCore(AssemblyLoadContext context, AssemblyName name) =>
        string.Equals(name.Name, CoreAssembly, StringComparison.Ordinal) ? _context!.LoadFromAssemblyName(name) : null;

    private sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;
        private readonly HashSet<string> _host;

        public DependencyLoadContext(string directory)
            : base("SecureInstall", isCollectible: false)
        {
            _directory = directory;
            _host = HostAssemblies();
        }

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name == null || _host.Contains(name.Name)) return null;
            string path = Path.Combine(_directory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        // The runtime's and the host application's own assemblies (for pwsh: .NET and $PSHOME), by simple name.
        private static HashSet<string> HostAssemblies()
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
            {
                foreach (string path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                    names.Add(Path.GetFileNameWithoutExtension(path));
            }
            return names;
        }
    }
}
