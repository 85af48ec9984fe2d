using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Manifests;

/// <summary>
/// Bounds on a YAML document, checked on the parser's event stream as the representation model consumes it, so a
/// hostile manifest is refused before anything recurses into it or walks it: a nesting depth limit (100,000 nested
/// brackets overflowed the stack of the whole process, which no catch survives) and a node budget that counts an
/// alias at the size of the node it repeats (a 1.7 MB "billion laughs" of aliases took 16 GB and minutes to hash).
/// Real manifests are far below both: the deepest in the corpus nests 9 levels, the largest has under 1,400 nodes.
/// </summary>
public static class YamlBounds
{
    /// <summary>Mappings and sequences inside one another; a manifest needs about 8.</summary>
    public const int MaximumDepth = 64;

    /// <summary>Scalars, mappings and sequences, each alias counted at its expanded size.</summary>
    public const int MaximumNodes = 100_000;

    /// <summary>Loads every document of <paramref name="text"/>, refusing past the limits with <see cref="ManifestFormatException"/> (ManifestInvalid).</summary>
    public static YamlStream Load(TextReader text, string source)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        var stream = new YamlStream();
        try
        {
            stream.Load(new BoundedParser(new Parser(text), source));
        }
        catch (YamlException ex)
        {
            throw new ManifestFormatException(source, (int)ex.Start.Line, ex.Message, ex);
        }
        return stream;
    }

    /// <summary>
    /// The text of a YAML file of at most <paramref name="maximumBytes"/> bytes (BOM-detected, UTF-8 by default).
    /// The limit is counted on the bytes read, not on the length the file reported, so a file that grows while it is
    /// read, or a device such as /dev/zero, is refused too.
    /// </summary>
    public static string ReadFile(string path, long maximumBytes)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        byte[] bytes;
        try
        {
            // A link is followed (a monorepo may link one manifest into several folders); a FIFO or device never is read.
            bytes = IO.RegularFile.ReadAll(path, maximumBytes, allowHardLinks: true, followLinks: true);
        }
        catch (IO.FileTooLargeException ex)
        {
            throw new ManifestFormatException(path, 0, $"larger than {maximumBytes} bytes (the limit); no real manifest is this large.", ex);
        }
        catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException))
        {
            throw new ManifestFormatException(path, 0, ex.Message, ex);
        }
        using var reader = new StreamReader(new MemoryStream(bytes, writable: false), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Passes events through, counting depth and nodes as they go by; no recursion, one pass.</summary>
    private sealed class BoundedParser : IParser
    {
        private readonly IParser _inner;
        private readonly string _source;

        // One entry per open mapping or sequence: its anchor (or null) and the node count when it opened.
        private readonly Stack<(string? Anchor, long StartCount)> _open = new();

        // Expanded node count of each anchored node that has closed, by anchor name (a later anchor of the same name replaces it).
        private readonly Dictionary<string, long> _anchored = new(StringComparer.Ordinal);
        private readonly HashSet<string> _openAnchors = new(StringComparer.Ordinal);
        private long _nodes;

        public BoundedParser(IParser inner, string source)
        {
            _inner = inner;
            _source = source;
        }

        public ParsingEvent? Current => _inner.Current;

        public bool MoveNext()
        {
            if (!_inner.MoveNext()) return false;
            Check(_inner.Current);
            return true;
        }

        private void Check(ParsingEvent? e)
        {
            switch (e)
            {
                case DocumentStart:
                    // Anchors do not reach across documents; the budget does.
                    _anchored.Clear();
                    _openAnchors.Clear();
                    break;
                case MappingStart or SequenceStart:
                {
                    var node = (NodeEvent)e;
                    if (_open.Count + 1 > MaximumDepth)
                        throw new ManifestFormatException(_source, Line(e),
                            $"nesting deeper than {MaximumDepth} levels (the limit); a manifest needs a handful. Refused before it is read any further.");
                    string? anchor = node.Anchor.IsEmpty ? null : node.Anchor.Value;
                    _open.Push((anchor, _nodes));
                    if (anchor != null) _openAnchors.Add(anchor);
                    Count(1, e);
                    break;
                }
                case MappingEnd or SequenceEnd:
                    if (_open.Count > 0)
                    {
                        (string? anchor, long start) = _open.Pop();
                        if (anchor != null)
                        {
                            _anchored[anchor] = _nodes - start;
                            _openAnchors.Remove(anchor);
                        }
                    }
                    break;
                case Scalar scalar:
                    if (!scalar.Anchor.IsEmpty) _anchored[scalar.Anchor.Value] = 1;
                    Count(1, e);
                    break;
                case AnchorAlias alias:
                {
                    string name = alias.Value.Value;
                    if (_openAnchors.Contains(name))
                        throw new ManifestFormatException(_source, Line(e), $"alias *{name} refers to a node that contains it: a manifest is a tree, not a cycle.");
                    // An unknown anchor counts as one node; YamlDotNet reports it as an error of its own.
                    Count(_anchored.TryGetValue(name, out long size) ? size : 1, e);
                    break;
                }
            }
        }

        private void Count(long nodes, ParsingEvent e)
        {
            _nodes += nodes;
            if (_nodes > MaximumNodes)
                throw new ManifestFormatException(_source, Line(e),
                    $"more than {MaximumNodes} YAML nodes (the limit), counting each alias at the size of the node it repeats; a manifest needs a few thousand at most. Refused before it is read any further (an alias bomb?).");
        }

        private static int Line(ParsingEvent e) => (int)Math.Min(int.MaxValue, e.Start.Line);
    }
}
