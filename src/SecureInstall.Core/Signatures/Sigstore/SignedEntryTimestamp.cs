using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// Rekor v1's signed entry timestamp (the "inclusion promise"): the log's signature over the canonical JSON of
/// body, integrated time, log id and log index, made when it accepted the entry.
/// </summary>
public static class SignedEntryTimestamp
{
    /// <summary>The signed payload: keys sorted, no spaces, as Rekor's canonical JSON writes it.</summary>
    public static byte[] Payload(byte[] canonicalizedBody, long integratedTime, byte[] logId, long logIndex) =>
        Encoding.UTF8.GetBytes(string.Format(CultureInfo.InvariantCulture,
            "{{\"body\":\"{0}\",\"integratedTime\":{1},\"logID\":\"{2}\",\"logIndex\":{3}}}",
            Convert.ToBase64String(canonicalizedBody), integratedTime, Hex.Encode(logId), logIndex));

    public static void Verify(TransparencyLogEntry entry, TransparencyLogKey log)
    {
        if (entry.SignedEntryTimestamp == null) throw new SigstoreCheckException("the entry has no signed entry timestamp");
        if (entry.IntegratedTime == null) throw new SigstoreCheckException("the entry has a signed entry timestamp but no integrated time");
        if (log.Key == null) throw new SigstoreCheckException($"the key of log {log.BaseUrl} ({log.KeyDetails}) cannot be used here");
        byte[] payload = Payload(entry.CanonicalizedBody, entry.IntegratedTime.Value, entry.LogId, entry.LogIndex);
        if (!SigstoreKeys.Verify(log.Key, payload, entry.SignedEntryTimestamp))
            throw new SigstoreCheckException($"the signed entry timestamp of log entry {entry.LogIndex} does not verify with the key of log {log.BaseUrl}");
    }
}
