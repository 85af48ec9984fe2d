namespace SecureInstall.Core.Modules;

/// <summary>A failure installing or checking a pinned PowerShell module, with the module's name as target.</summary>
public sealed class ModuleException : SecureInstallException
{
    public ModuleException(string errorId, FailureKind kind, string module, string message, System.Exception? inner = null)
        : base(message, errorId, kind, module, inner)
    {
        Module = module;
    }

    public string Module { get; }
}
