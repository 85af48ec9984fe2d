namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>One signature line of a signed note: "— name base64(keyhint[4] || signature)".</summary>
public sealed class NoteSignature
{
    internal NoteSignature(string name, byte[] keyHint, byte[] signature)
    {
        Name = name;
        KeyHint = keyHint;
        Signature = signature;
    }

    public string Name { get; }
    public byte[] KeyHint { get; }
    public byte[] Signature { get; }
}

/// <summary>
/// A transparency-log checkpoint: a C2SP signed note whose body is origin, tree size, base64 root hash and optional
/// extension lines, followed by a blank line and signature lines (the log's and any witnesses').
/// </summary>
public sealed class Checkpoint
{
    private Checkpoint(string origin, long treeSize, byte[] rootHash, byte[] signedBody, IReadOnlyList<NoteSignature> signatures)
    {
        Origin = origin;
        TreeSize = treeSize;
        RootHash = rootHash;
        SignedBody = signedBody;
        Signatures = signatures;
    }

    public string Origin { get; }
    public long TreeSize { get; }
    public byte[] RootHash { get; }
    /// <summary>The note text the signatures cover: every body line with its newline, without the blank separator.</summary>
    public byte[] SignedBody { get; }
    public IReadOnlyList<NoteSignature> Signatures { get; }

    public static Checkpoint Parse(string note)
    {
        int split = note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) throw new SigstoreCheckException("the checkpoint has no blank line between its body and its signatures");
        string body = note.Substring(0, split + 1);
        string[] lines = body.Substring(0, body.Length - 1).Split('\n');
        if (lines.Length < 3) throw new SigstoreCheckException("the checkpoint body needs origin, tree size and root hash lines");
        string origin = lines[0];
        if (origin.Length == 0) throw new SigstoreCheckException("the checkpoint origin line is empty");
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size))
            throw new SigstoreCheckException($"the checkpoint tree size line is not a number: '{lines[1]}'");
        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            throw new SigstoreCheckException($"the checkpoint root hash line is not base64: '{lines[2]}'");
        }
        if (root.Length != 32) throw new SigstoreCheckException("the checkpoint root hash is not a SHA-256 hash");

        var signatures = new List<NoteSignature>();
        foreach (string line in note.Substring(split + 2).Split('\n'))
        {
            if (line.Length == 0) continue;
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal)) throw new SigstoreCheckException($"the checkpoint has a line that is not a signature: '{line}'");
            string[] parts = line.Substring(2).Split(' ');
            if (parts.Length != 2) throw new SigstoreCheckException($"malformed checkpoint signature line: '{line}'");
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException)
            {
                throw new SigstoreCheckException($"a checkpoint signature is not base64: '{line}'");
            }
            if (blob.Length < 5) throw new SigstoreCheckException("a checkpoint signature is too short");
            var hint = new byte[4];
            Buffer.BlockCopy(blob, 0, hint, 0, 4);
            var sig = new byte[blob.Length - 4];
            Buffer.BlockCopy(blob, 4, sig, 0, sig.Length);
            signatures.Add(new NoteSignature(parts[0], hint, sig));
        }
        if (signatures.Count == 0) throw new SigstoreCheckException("the checkpoint carries no signature");
        return new Checkpoint(origin, size, root, Encoding.UTF8.GetBytes(body), signatures);
    }

    /// <summary>
    /// At least one signature line must carry the log's key hint (the first 4 bytes of its log id) and verify with the
    /// log's key; other lines (witness cosignatures, unknown keys) are ignored, as the signed-note spec asks.
    /// </summary>
    public void VerifySignedBy(TransparencyLogKey log)
    {
        if (log.Key == null) throw new SigstoreCheckException($"the key of log {log.BaseUrl} ({log.KeyDetails}) cannot be used here");
        foreach (NoteSignature s in Signatures)
        {
            if (log.LogId.Length < 4 || s.KeyHint[0] != log.LogId[0] || s.KeyHint[1] != log.LogId[1] || s.KeyHint[2] != log.LogId[2] || s.KeyHint[3] != log.LogId[3]) continue;
            if (SigstoreKeys.Verify(log.Key, SignedBody, s.Signature)) return;
        }
        throw new SigstoreCheckException($"no signature on the checkpoint for '{Origin}' verifies with the key of log {log.BaseUrl}");
    }
}
