using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// What a bundle is checked against: a file (hashed once, in one pass) or only its SHA-256 digest
/// ("sha256:HEX", the sigstore-conformance DIGEST mode, or a digest already pinned in a lock).
/// </summary>
public sealed class SigstoreArtifact
{
    private SigstoreArtifact(string? path, byte[] sha256, string display)
    {
        FilePath = path;
        Sha256 = sha256;
        Display = display;
    }

    /// <summary>The file, when there is one; null for a digest.</summary>
    public string? FilePath { get; }
    public byte[] Sha256 { get; }
    /// <summary>The path, or "sha256:HEX".</summary>
    public string Display { get; }

    public static SigstoreArtifact FromFile(string path, CancellationToken cancellationToken = default)
    {
        string hex = FileHasher.HashFile(path, ChecksumAlgorithm.SHA256, null, cancellationToken);
        return new SigstoreArtifact(path, SigstoreKeys.HexDecode(hex)!, path);
    }

    public static SigstoreArtifact FromDigest(byte[] sha256)
    {
        if (sha256 == null || sha256.Length != 32) throw new ArgumentException("a SHA-256 digest is 32 bytes", nameof(sha256));
        return new SigstoreArtifact(null, sha256, "sha256:" + Hex.Encode(sha256));
    }

    /// <summary>True for "sha256:" followed by 64 hex digits.</summary>
    public static bool TryParseDigest(string text, out SigstoreArtifact? artifact)
    {
        artifact = null;
        if (!text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) return false;
        byte[]? bytes = text.Length == 71 ? SigstoreKeys.HexDecode(text.Substring(7)) : null;
        if (bytes == null) return false;
        artifact = FromDigest(bytes);
        return true;
    }

    internal byte[] ReadAll(long limit)
    {
        if (FilePath == null) throw new SigstoreCheckException("this signature covers the whole artifact, so it cannot be checked from a digest alone; give the file");
        var info = new FileInfo(FilePath);
        if (info.Length > limit) throw new SigstoreCheckException($"the artifact is larger than {limit} bytes, the most an Ed25519 signature is checked over in memory");
        byte[] bytes = File.ReadAllBytes(FilePath);
        using SHA256 sha = SHA256.Create();
        // The file must still be the one that was hashed.
        if (!SigstoreKeys.BytesEqual(sha.ComputeHash(bytes), Sha256)) throw new SigstoreCheckException("the artifact changed while it was being verified");
        return bytes;
    }
}
