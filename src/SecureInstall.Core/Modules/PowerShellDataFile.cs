namespace SecureInstall.Core.Modules;

/// <summary>
/// Reads a PowerShell data file (.psd1) as data, without PowerShell and without running anything: one hashtable literal of
/// constants, as Import-PowerShellDataFile's restricted language allows — strings ('…', "…" without expansions, here-strings),
/// numbers, $true/$false/$null, arrays (@(…) or a, b) and nested hashtables, with comments. Anything else (a variable, a
/// sub-expression, a command, a cast) is refused: a module manifest from a feed is hostile input, and the CLI has no
/// PowerShell to ask. Keys are case-insensitive, as PowerShell's are.
/// </summary>
public sealed class PowerShellDataFile
{
    /// <summary>Module manifests are kilobytes; the largest in the Gallery are well under this.</summary>
    public const int MaximumChars = 1024 * 1024;

    private const int MaximumDepth = 32;
    private readonly string _text;
    private readonly string _source;
    private int _pos;
    private int _depth;

    private PowerShellDataFile(string text, string source)
    {
        _text = text;
        _source = source;
    }

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">it is not a hashtable of constants; the message gives the line.</exception>
    public static IDictionary<string, object?> Parse(string text, string source)
    {
        if (text == null) throw new ArgumentNullException(nameof(text));
        if (text.Length > MaximumChars) throw new FormatException($"{source} is over {MaximumChars / 1024} KiB: not a module manifest.");
        var reader = new PowerShellDataFile(text.TrimStart('\uFEFF'), source);
        reader.SkipSpace(newlines: true);
        if (!reader.At("@{")) throw reader.Error("a data file is one hashtable literal, @{ … }");
        IDictionary<string, object?> table = reader.ReadHashtable();
        reader.SkipSpace(newlines: true);
        if (reader._pos < reader._text.Length) throw reader.Error("nothing may follow the hashtable");
        return table;
    }

    /// <summary>Reads a file (capped at <see cref="MaximumChars"/>, BOM-aware) and parses it.</summary>
    public static IDictionary<string, object?> ReadFile(string path)
    {
        byte[] bytes = IO.RegularFile.ReadAll(path, MaximumChars * 4L, allowHardLinks: false);
        return Parse(IO.TextDecoding.Decode(bytes, bytes.Length, sniffUtf16: true), path);
    }

    private FormatException Error(string what)
    {
        int line = 1;
        for (int i = 0; i < _pos && i < _text.Length; i++) if (_text[i] == '\n') line++;
        return new FormatException($"{_source}, line {line}: {what}; a module manifest must be constant data.");
    }

    private bool At(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

    private char Peek => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipSpace(bool newlines)
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n' || c == '\r') { if (!newlines) return; _pos++; }
            else if (c == ' ' || c == '\t' || c == '\f' || c == '\u00A0') _pos++;
            else if (c == '`' && _pos + 1 < _text.Length && (_text[_pos + 1] == '\n' || _text[_pos + 1] == '\r')) _pos += 2; // line continuation
            else if (c == '#') { while (_pos < _text.Length && _text[_pos] != '\n') _pos++; }
            else if (At("<#"))
            {
                int end = _text.IndexOf("#>", _pos + 2, StringComparison.Ordinal);
                if (end < 0) throw Error("a block comment <# is never closed");
                _pos = end + 2;
            }
            else return;
        }
    }

    private IDictionary<string, object?> ReadHashtable()
    {
        if (++_depth > MaximumDepth) throw Error($"hashtables and arrays nest deeper than {MaximumDepth}");
        _pos += 2; // @{
        var table = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipSeparators();
            if (Peek == '}') { _pos++; _depth--; return table; }
            if (_pos >= _text.Length) throw Error("the hashtable is never closed");
            int keyAt = _pos;
            string key = Peek == '\'' || Peek == '"' ? ReadString() : ReadBareword();
            SkipSpace(newlines: false);
            if (Peek != '=') throw Error($"'{key}' is not followed by '='");
            _pos++;
            SkipSpace(newlines: true);
            object? value = ReadValue();
            if (_pos >= _text.Length) throw Error("the hashtable is never closed");
            if (table.ContainsKey(key)) { _pos = keyAt; throw Error($"the key '{key}' is given twice"); }
            table[key] = value;
            SkipSpace(newlines: false);
            if (Peek != ';' && Peek != '\n' && Peek != '\r' && Peek != '}') throw Error($"the value of '{key}' is followed by something that is not data");
        }
    }

    private void SkipSeparators()
    {
        while (true)
        {
            SkipSpace(newlines: true);
            if (Peek == ';') { _pos++; continue; }
            return;
        }
    }

    /// <summary>A value, or several separated by commas (PowerShell's array of a, b, c).</summary>
    private object? ReadValue()
    {
        object? first = ReadItem();
        SkipSpace(newlines: false);
        if (Peek != ',') return first;
        var list = new List<object?> { first };
        while (Peek == ',')
        {
            _pos++;
            SkipSpace(newlines: true);
            list.Add(ReadItem());
            SkipSpace(newlines: false);
        }
        return list.ToArray();
    }

    private object? ReadItem()
    {
        char c = Peek;
        if (At("@{")) return ReadHashtable();
        if (At("@(")) return ReadArray();
        if (At("@'") || At("@\"")) return ReadHereString();
        if (c == '\'' || c == '"') return ReadString();
        if (c == '$')
        {
            string name = ReadVariableName();
            return name.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                _ => throw Error($"the variable ${name} is not constant (only $true, $false and $null are)"),
            };
        }
        if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) return ReadNumber();
        throw Error($"'{Describe(c)}' does not start a constant (a string, number, $true/$false/$null, @( ) or @{{ }})");
    }

    private static string Describe(char c) => c == '\0' ? "end of file" : c.ToString();

    private object?[] ReadArray()
    {
        if (++_depth > MaximumDepth) throw Error($"hashtables and arrays nest deeper than {MaximumDepth}");
        _pos += 2; // @(
        var items = new List<object?>();
        while (true)
        {
            SkipSeparators();
            if (Peek == ')') { _pos++; _depth--; return items.ToArray(); }
            if (_pos >= _text.Length) throw Error("the array @( is never closed");
            object? value = ReadValue();
            if (_pos >= _text.Length) throw Error("the array @( is never closed");
            if (value is object?[] several) items.AddRange(several); else items.Add(value);
            SkipSpace(newlines: false);
            if (Peek != ';' && Peek != '\n' && Peek != '\r' && Peek != ')') throw Error("an array item is followed by something that is not data");
        }
    }

    private string ReadBareword()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || _text[_pos] == '-' || _text[_pos] == '.')) _pos++;
        if (_pos == start) throw Error($"'{Describe(Peek)}' cannot start a key");
        return _text.Substring(start, _pos - start);
    }

    private string ReadVariableName()
    {
        _pos++; // $
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || _text[_pos] == ':')) _pos++;
        if (_pos == start) throw Error("'$' is not followed by a name");
        return _text.Substring(start, _pos - start);
    }

    private object ReadNumber()
    {
        int start = _pos;
        if (Peek == '-' || Peek == '+') _pos++;
        if (At("0x") || At("0X"))
        {
            _pos += 2;
            int hexStart = _pos;
            while (_pos < _text.Length && Checksums.Hex.IsHexDigit(_text[_pos])) _pos++;
            if (long.TryParse(_text.Substring(hexStart, _pos - hexStart), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex))
                return Integer(_text[start] == '-' ? -hex : hex);
            throw Error("a hexadecimal number cannot be read");
        }
        while (_pos < _text.Length && (char.IsDigit(_text[_pos]) || _text[_pos] == '.' || _text[_pos] == 'e' || _text[_pos] == 'E')) _pos++;
        string text = _text.Substring(start, _pos - start);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole)) return Integer(whole);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real)) return real;
        throw Error($"'{text}' is not a number");
    }

    // PowerShell types an integer literal Int32 when it fits, else Int64.
    private static object Integer(long value) => value <= int.MaxValue && value >= int.MinValue ? (object)(int)value : value;

    private string ReadString()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error("a string is never closed");
            char c = _text[_pos++];
            if (IsQuote(c, quote))
            {
                if (_pos < _text.Length && IsQuote(_text[_pos], quote)) { sb.Append(c); _pos++; continue; } // '' or "" inside
                return sb.ToString();
            }
            if (quote == '"')
            {
                if (c == '`')
                {
                    if (_pos >= _text.Length) throw Error("a string is never closed");
                    sb.Append(Escape(_text[_pos++]));
                    continue;
                }
                if (c == '$' && _pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '(' || _text[_pos] == '{' || _text[_pos] == '_' || _text[_pos] == ':'))
                {
                    _pos--;
                    throw Error("a double-quoted string expands a variable or sub-expression");
                }
            }
            sb.Append(c);
        }
    }

    // PowerShell accepts the typographic quotes as quotes too.
    private static bool IsQuote(char c, char quote) =>
        quote == '\'' ? c == '\'' || c == '\u2018' || c == '\u2019' || c == '\u201A' || c == '\u201B' : c == '"' || c == '\u201C' || c == '\u201D' || c == '\u201E';

    private static char Escape(char c) => c switch
    {
        'n' => '\n', 'r' => '\r', 't' => '\t', '0' => '\0', 'a' => '\a', 'b' => '\b', 'f' => '\f', 'v' => '\v', 'e' => '\u001B',
        _ => c,
    };

    private string ReadHereString()
    {
        char quote = _text[_pos + 1];
        _pos += 2;
        SkipSpace(newlines: false);
        if (Peek == '\r') _pos++;
        if (Peek != '\n') throw Error("a here-string's opening @' or @\" must end its line");
        _pos++;
        string terminator = "\n" + quote + "@";
        int end = _text.IndexOf(terminator, _pos - 1, StringComparison.Ordinal);
        if (end < 0) throw Error("a here-string is never closed");
        string body = end < _pos ? string.Empty : _text.Substring(_pos, end - _pos).TrimEnd('\r');
        if (quote == '"' && body.IndexOf('$') >= 0)
        {
            for (int i = 0; i < body.Length - 1; i++)
            {
                if (body[i] == '$' && (i == 0 || body[i - 1] != '`') && (char.IsLetterOrDigit(body[i + 1]) || body[i + 1] == '(' || body[i + 1] == '{' || body[i + 1] == '_'))
                    throw Error("a double-quoted here-string expands a variable or sub-expression");
            }
        }
        _pos = end + terminator.Length;
        return body;
    }
}
