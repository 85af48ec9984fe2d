namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// Snappy's block format (github.com/google/snappy format_description.txt, what Go's snappy.Decode reads): GitHub stores
/// the attestation bundles its API names by <c>bundle_url</c> compressed so. A varint of the decoded length, then
/// literals and back-references; every length and offset is checked against the input and the declared size, and the
/// declared size against a cap, before anything is copied.
/// </summary>
public static class SnappyBlock
{
    /// <exception cref="InvalidDataException">the bytes are not one snappy block, or it decodes to more than <paramref name="maximumBytes"/>.</exception>
    public static byte[] Decode(byte[] input, long maximumBytes)
    {
        if (input == null) throw new ArgumentNullException(nameof(input));
        int pos = 0;
        ulong declared = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (pos >= input.Length || shift > 28) throw new InvalidDataException("snappy: the decoded length is not a varint of at most 32 bits");
            byte b = input[pos++];
            declared |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) break;
        }
        if (declared > (ulong)maximumBytes || declared > int.MaxValue) throw new InvalidDataException($"snappy: the block declares {declared} bytes, more than the {maximumBytes} allowed");
        var output = new byte[(int)declared];
        int o = 0;
        while (pos < input.Length)
        {
            byte tag = input[pos++];
            int length, offset;
            switch (tag & 3)
            {
                case 0:
                    length = tag >> 2;
                    if (length >= 60)
                    {
                        int bytes = length - 59;
                        if (pos + bytes > input.Length) throw new InvalidDataException("snappy: a literal's length runs past the input");
                        length = 0;
                        for (int i = 0; i < bytes; i++) length |= input[pos++] << (8 * i);
                        if (length < 0) throw new InvalidDataException("snappy: a literal's length is out of range");
                    }
                    length++;
                    if (length > input.Length - pos || length > output.Length - o) throw new InvalidDataException("snappy: a literal runs past the input or the declared length");
                    Buffer.BlockCopy(input, pos, output, o, length);
                    pos += length;
                    o += length;
                    continue;
                case 1:
                    if (pos + 1 > input.Length) throw new InvalidDataException("snappy: a copy runs past the input");
                    length = 4 + ((tag >> 2) & 7);
                    offset = ((tag >> 5) << 8) | input[pos++];
                    break;
                case 2:
                    if (pos + 2 > input.Length) throw new InvalidDataException("snappy: a copy runs past the input");
                    length = 1 + (tag >> 2);
                    offset = input[pos] | (input[pos + 1] << 8);
                    pos += 2;
                    break;
                default:
                    if (pos + 4 > input.Length) throw new InvalidDataException("snappy: a copy runs past the input");
                    length = 1 + (tag >> 2);
                    offset = input[pos] | (input[pos + 1] << 8) | (input[pos + 2] << 16) | (input[pos + 3] << 24);
                    pos += 4;
                    break;
            }
            if (offset <= 0 || offset > o) throw new InvalidDataException($"snappy: a copy reaches {offset} bytes back from byte {o}");
            if (length > output.Length - o) throw new InvalidDataException("snappy: a copy runs past the declared length");
            for (int i = 0; i < length; i++, o++) output[o] = output[o - offset]; // byte by byte: a copy may overlap what it writes
        }
        if (o != output.Length) throw new InvalidDataException($"snappy: the block decodes to {o} bytes, not the {output.Length} it declares");
        return output;
    }
}
