using System.Security.Cryptography;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>RFC 6962 / RFC 9162 Merkle tree hashing and inclusion-proof verification (SHA-256).</summary>
public static class MerkleInclusionProof
{
    /// <summary>The leaf hash of a log entry: SHA-256(0x00 || entry).</summary>
    public static byte[] LeafHash(byte[] entry)
    {
        var data = new byte[entry.Length + 1];
        Buffer.BlockCopy(entry, 0, data, 1, entry.Length);
        return SigstoreKeys.Sha256(data);
    }

    /// <summary>
    /// Recomputes the root from the leaf hash and the audit path (RFC 9162 section 2.1.3.2) and throws
    /// <see cref="SigstoreCheckException"/> unless it equals <paramref name="rootHash"/>.
    /// </summary>
    public static void Verify(long leafIndex, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> path, byte[] rootHash)
    {
        if (leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize)
            throw new SigstoreCheckException($"the inclusion proof is for leaf {leafIndex} of a tree of {treeSize}");
        long fn = leafIndex, sn = treeSize - 1;
        byte[] r = leafHash;
        using SHA256 sha = SHA256.Create();
        foreach (byte[] p in path)
        {
            if (p.Length != 32) throw new SigstoreCheckException("an inclusion proof hash is not 32 bytes");
            if (sn == 0) throw new SigstoreCheckException("the inclusion proof is longer than the tree is deep");
            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(sha, p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = Node(sha, r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) throw new SigstoreCheckException("the inclusion proof is shorter than the tree is deep");
        if (!SigstoreKeys.BytesEqual(r, rootHash)) throw new SigstoreCheckException("the inclusion proof does not lead to the root hash: the entry is not in the log as claimed");
    }

    private static byte[] Node(SHA256 sha, byte[] left, byte[] right)
    {
        var data = new byte[1 + left.Length + right.Length];
        data[0] = 1;
        Buffer.BlockCopy(left, 0, data, 1, left.Length);
        Buffer.BlockCopy(right, 0, data, 1 + left.Length, right.Length);
        return sha.ComputeHash(data);
    }
}
