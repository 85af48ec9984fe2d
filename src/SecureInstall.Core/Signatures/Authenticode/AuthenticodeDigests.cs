using System.Security.Cryptography;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// The digests a file's signatures claim, computed in one pass for every algorithm they use (a nested signature may use
/// another): the SIP-specific part (<see cref="PeImage"/>, <see cref="PowerShellScript"/>) feeds the bytes it covers.
/// </summary>
internal static class AuthenticodeDigests
{
    public static IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Compute(IEnumerable<ChecksumAlgorithm> algorithms, Action<IReadOnlyCollection<HashAlgorithm>> feed)
    {
        var hashers = algorithms.Distinct().ToDictionary(a => a, ChecksumAlgorithms.Create);
        try
        {
            feed(hashers.Values);
            var digests = new Dictionary<ChecksumAlgorithm, byte[]>();
            foreach (var pair in hashers)
            {
                pair.Value.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                digests[pair.Key] = pair.Value.Hash!;
            }
            return digests;
        }
        finally
        {
            foreach (HashAlgorithm h in hashers.Values) h.Dispose();
        }
    }
}
