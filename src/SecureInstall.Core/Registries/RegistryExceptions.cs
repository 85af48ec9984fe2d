namespace SecureInstall.Core.Registries;

/// <summary>An oci:// reference that cannot be used.</summary>
public sealed class RegistryReferenceException : SecureInstallException
{
    public RegistryReferenceException(string reference, string reason)
        : base($"'{Shown(reference)}' is not a registry reference: {reason}. Write oci://HOST[:PORT]/REPOSITORY[:TAG], e.g. oci://registry.example.com/tools/secureinstall:v1.",
               ErrorIds.RegistryReferenceInvalid, FailureKind.InvalidArgument, Shown(reference))
    {
    }

    /// <summary>The reference without a user:password someone wrote into it (oci://user:pass@host/…).</summary>
    private static string Shown(string reference)
    {
        int start = reference.IndexOf("://", StringComparison.Ordinal);
        int at = reference.IndexOf('@');
        int slash = start < 0 ? -1 : reference.IndexOf('/', start + 3);
        return start >= 0 && at > start && (slash < 0 || at < slash) ? reference.Substring(0, start + 3) + "***" + reference.Substring(at) : reference;
    }
}

/// <summary>The registry (or its token service) refused the credentials, or wanted some and none were found.</summary>
public sealed class RegistryAuthenticationException : SecureInstallException
{
    public RegistryAuthenticationException(string registry, string reason, Exception? inner = null)
        : base($"The registry {registry} refused access: {reason}", ErrorIds.RegistryAuthenticationFailed, FailureKind.AuthenticationFailed, registry, inner)
    {
    }
}

/// <summary>A registry request failed: an unexpected status, a malformed answer, or the network.</summary>
public sealed class RegistryRequestException : SecureInstallException
{
    public RegistryRequestException(string target, int? status, string reason, Exception? inner = null)
        : base($"The registry request {target} failed: {reason}", ErrorIds.RegistryRequestFailed, FailureKind.ResourceUnavailable, target, inner)
    {
        StatusCode = status;
    }

    public int? StatusCode { get; }

    /// <summary>No answer at all: the connection failed (a registry restarting, a reset), so asking again later may succeed.</summary>
    internal bool IsConnectionFailure => StatusCode == null && InnerException is System.Net.Http.HttpRequestException;
}

/// <summary>The registry holds no manifest under the tag or digest asked for.</summary>
public sealed class RegistryManifestUnknownException : SecureInstallException
{
    public RegistryManifestUnknownException(string reference)
        : base($"The registry holds no manifest {reference} (MANIFEST_UNKNOWN). Push it first with Save-PinnedTool -Destination {reference}, or check the tag.",
               ErrorIds.RegistryManifestUnknown, FailureKind.NotFound, reference)
    {
    }
}

/// <summary>Registry credentials that cannot be read: a malformed Docker config, an auth entry that is not user:password.</summary>
public sealed class RegistryCredentialException : SecureInstallException
{
    public RegistryCredentialException(string source, string reason, Exception? inner = null)
        : base($"The registry credentials in {source} cannot be used: {reason}", ErrorIds.RegistryCredentialInvalid, FailureKind.InvalidData, source, inner)
    {
    }
}
