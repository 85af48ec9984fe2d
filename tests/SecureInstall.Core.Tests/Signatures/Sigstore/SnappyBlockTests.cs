using System.Text;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// Issue 24: GitHub's attestations API names bundles by bundle_url, stored snappy-compressed (gh decodes them with Go's
/// snappy.Decode). The vectors follow google/snappy's format_description.txt; <see cref="Encode"/> is a plain greedy
/// encoder written from the same description (literals of every length form, 2-byte-offset copies), for round trips.
/// </summary>
public sealed class SnappyBlockTests
{
    [Fact]
    public void SpecVector_LiteralThenOverlappingCopy_Decodes()
    {
        // 12 bytes: literal "abcd" (tag (4-1)<<2), then a 1-byte-offset copy of 8 bytes from 4 back (tag 01 | (8-4)<<2), overlapping itself.
        byte[] block = { 0x0C, 0x0C, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 0x11, 0x04 };
        Assert.Equal("abcdabcdabcd", Encoding.ASCII.GetString(SnappyBlock.Decode(block, 100)));
    }

    [Fact]
    public void RealBundle_RoundTrips()
    {
        byte[] bundle = File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "sigstore", "cli-cli", "github_release_bundle.json"));
        byte[] block = Encode(bundle);
        Assert.True(block.Length < bundle.Length, "the encoder found no repeats: the copies would go untested");
        Assert.Equal(bundle, SnappyBlock.Decode(block, SigstoreBundle.MaximumBytes));
    }

    [Theory]
    [InlineData(new byte[] { 0x04, 0x01, 0x05 }, "reaches 5 bytes back")]                     // a copy before anything was written
    [InlineData(new byte[] { 0x02, 0x0C, 0x61, 0x62, 0x63, 0x64 }, "past the input or the declared length")] // a literal longer than declared
    [InlineData(new byte[] { 0x08, 0x0C, 0x61, 0x62 }, "past the input")]                     // a literal cut short
    [InlineData(new byte[] { 0x05, 0x00, 0x61 }, "not the 5 it declares")]                   // fewer bytes than declared
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "more than the")]                // 4 GiB declared
    [InlineData(new byte[] { 0x80 }, "varint")]
    public void HostileBlock_IsRefused_BeforeAnythingIsCopied(byte[] block, string reason)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SnappyBlock.Decode(block, 1 << 20));
        Assert.Contains(reason, ex.Message);
    }

    /// <summary>Greedy snappy encoder for the tests: 4-byte matches through a hash table, copies with 2-byte offsets.</summary>
    internal static byte[] Encode(byte[] data)
    {
        var output = new List<byte>();
        for (uint n = (uint)data.Length; ; n >>= 7)
        {
            if (n < 0x80) { output.Add((byte)n); break; }
            output.Add((byte)(n | 0x80));
        }
        var seen = new Dictionary<int, int>();
        int literalStart = 0, i = 0;
        void Literal(int end)
        {
            int length = end - literalStart;
            if (length == 0) return;
            if (length <= 60) output.Add((byte)((length - 1) << 2));
            else if (length <= 256) { output.Add(60 << 2); output.Add((byte)(length - 1)); }
            else { output.Add(61 << 2); output.Add((byte)((length - 1) & 0xFF)); output.Add((byte)((length - 1) >> 8)); }
            output.AddRange(data.Skip(literalStart).Take(length));
        }
        while (i + 4 <= data.Length)
        {
            int key = BitConverter.ToInt32(data, i);
            if (seen.TryGetValue(key, out int from) && i - from < 65536)
            {
                int length = 4;
                while (i + length < data.Length && length < 64 && data[from + length] == data[i + length]) length++;
                Literal(i);
                output.Add((byte)(2 | ((length - 1) << 2)));
                output.Add((byte)((i - from) & 0xFF));
                output.Add((byte)((i - from) >> 8));
                seen[key] = i;
                i += length;
                literalStart = i;
                continue;
            }
            seen[key] = i++;
        }
        Literal(data.Length);
        return output.ToArray();
    }
}
