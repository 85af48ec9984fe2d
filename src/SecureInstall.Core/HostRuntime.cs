using System.Runtime.InteropServices;

namespace SecureInstall.Core;

/// <summary>
/// The runtime the core is loaded into. Windows PowerShell 5.1 runs it on .NET Framework, whose defaults differ (TLS 1.0,
/// a managed SHA-256, reads that ignore cancellation tokens). The cmdlet assembly's ModuleInitializer keeps its own copy:
/// it must decide before SecureInstall.Core may be loaded.
/// </summary>
internal static class HostRuntime
{
    public static bool IsNetFramework { get; } = RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);
}
