using System.Management.Automation;
using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Commands;

/// <summary>What the *-PinnedModule cmdlets share: the modules named, and the module path they live in.</summary>
public abstract class PinnedModuleCmdlet : ModulePathCmdlet
{
    protected List<string> Names { get; } = new();

    /// <summary>Modules to act on; every module the manifest (or lock) pins when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord() => Names.AddRange(Name);
}

/// <summary>The module path the *-PinnedModule cmdlets act in: -ModulePath, else the -Scope folder of the running edition.</summary>
public abstract class ModulePathCmdlet : PinnedToolCmdlet
{
    [Parameter]
    public InstallScope Scope { get => (InstallScope)_scope; set => _scope = value; }

    // Boxed: a SecureInstall.Core value type may not be a field of a cmdlet (see InstallPinnedToolCommand).
    private object _scope = InstallScope.CurrentUser;

    /// <summary>A module folder instead of the scope's (it need not be on PSModulePath).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ModulePath { get; set; }

    /// <summary>-ModulePath, else the -Scope folder of the running edition (Desktop: WindowsPowerShell; Core: PowerShell).</summary>
    protected string ResolveModulePath()
    {
        if (ModulePath != null) return ResolveOutputPath(ModulePath);
        bool desktop = string.Equals(SessionState.PSVariable.GetValue("PSEdition") as string, "Desktop", StringComparison.OrdinalIgnoreCase);
        return ModulePaths.Default(Scope, desktop);
    }
}
