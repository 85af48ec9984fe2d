using System.Security.Cryptography;

namespace SecureInstall.Core.Checksums;

/// <summary>Digest algorithms a checksum list may name. MD5 and SHA1 are read but refused for verification unless allowed.</summary>
public enum ChecksumAlgorithm
{
    MD5,
    SHA1,
    SHA256,
    SHA384,
    SHA512,
}

/// <summary>Facts about each <see cref="ChecksumAlgorithm"/>: digest length, weakness, names in list formats, the platform implementation.</summary>
public static class ChecksumAlgorithms
{
    public static int DigestBytes(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.MD5 => 16,
        ChecksumAlgorithm.SHA1 => 20,
        ChecksumAlgorithm.SHA256 => 32,
        ChecksumAlgorithm.SHA384 => 48,
        ChecksumAlgorithm.SHA512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The lower-case name SRI values, in-toto DigestSets and bundle folders use: sha256, sha512, …</summary>
    public static string LowerName(ChecksumAlgorithm algorithm) => algorithm.ToString().ToLowerInvariant();

    /// <summary>Collisions are practical for these: a matching digest proves nothing against an attacker.</summary>
    public static bool IsWeak(ChecksumAlgorithm algorithm) => algorithm is ChecksumAlgorithm.MD5 or ChecksumAlgorithm.SHA1;

    /// <summary>The algorithm whose hex digest has this many characters, or null.</summary>
    public static ChecksumAlgorithm? FromHexLength(int hexLength) => hexLength switch
    {
        32 => ChecksumAlgorithm.MD5,
        40 => ChecksumAlgorithm.SHA1,
        64 => ChecksumAlgorithm.SHA256,
        96 => ChecksumAlgorithm.SHA384,
        128 => ChecksumAlgorithm.SHA512,
        _ => null,
    };

    /// <summary>Reads the names used by BSD tags, OpenSSL, Get-FileHash and people: SHA256, SHA2-256, sha-256, sha256sum.</summary>
    public static bool TryParse(string? name, out ChecksumAlgorithm algorithm)
    {
        algorithm = default;
        if (string.IsNullOrWhiteSpace(name)) return false;
        string n = name!.Trim().ToUpperInvariant().Replace("-", string.Empty).Replace("_", string.Empty);
        if (n.EndsWith("SUM", StringComparison.Ordinal)) n = n.Substring(0, n.Length - 3);
        switch (n)
        {
            case "MD5": algorithm = ChecksumAlgorithm.MD5; return true;
            case "SHA1": algorithm = ChecksumAlgorithm.SHA1; return true;
            case "SHA256": case "SHA2256": algorithm = ChecksumAlgorithm.SHA256; return true;
            case "SHA384": case "SHA2384": algorithm = ChecksumAlgorithm.SHA384; return true;
            case "SHA512": case "SHA2512": algorithm = ChecksumAlgorithm.SHA512; return true;
            default: return false;
        }
    }

    /// <summary>The platform's implementation: OpenSSL on Linux, CNG on Windows (also on .NET Framework, whose default SHA256 is a slow managed one).</summary>
    public static HashAlgorithm Create(ChecksumAlgorithm algorithm)
    {
        if (HostRuntime.IsNetFramework)
        {
            HashAlgorithm? cng = CreateCng(algorithm);
            if (cng != null) return cng;
        }
        return algorithm switch
        {
            ChecksumAlgorithm.MD5 => MD5.Create(),
            ChecksumAlgorithm.SHA1 => SHA1.Create(),
            ChecksumAlgorithm.SHA256 => SHA256.Create(),
            ChecksumAlgorithm.SHA384 => SHA384.Create(),
            ChecksumAlgorithm.SHA512 => SHA512.Create(),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
    }

    /// <summary>
    /// BouncyCastle's managed implementation, for one small input in a process that has not loaded the platform's: the
    /// native CLI checking one file spends more loading and initialising OpenSSL (2 to 3 ms) than hashing the file.
    /// </summary>
    internal static Org.BouncyCastle.Crypto.IDigest CreateManaged(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.MD5 => new Org.BouncyCastle.Crypto.Digests.MD5Digest(),
        ChecksumAlgorithm.SHA1 => new Org.BouncyCastle.Crypto.Digests.Sha1Digest(),
        ChecksumAlgorithm.SHA256 => new Org.BouncyCastle.Crypto.Digests.Sha256Digest(),
        ChecksumAlgorithm.SHA384 => new Org.BouncyCastle.Crypto.Digests.Sha384Digest(),
        ChecksumAlgorithm.SHA512 => new Org.BouncyCastle.Crypto.Digests.Sha512Digest(),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2057",
        Justification = "Called only on .NET Framework (HostRuntime.IsNetFramework), which is never trimmed; the native CLI never reaches it.")]
    private static HashAlgorithm? CreateCng(ChecksumAlgorithm algorithm)
    {
        // SHA256.Create() on .NET Framework returns SHA256Managed (several times slower); the CNG types live in System.Core.
        const string suffix = ", System.Core, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089";
        Type? type = Type.GetType("System.Security.Cryptography." + algorithm + "Cng" + suffix, throwOnError: false);
        return type == null ? null : Activator.CreateInstance(type) as HashAlgorithm;
    }
}
