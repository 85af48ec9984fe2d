using System.Text.RegularExpressions;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>
/// aqua's <c>version_constraint</c>: an expr-lang expression over <c>Version</c> and <c>SemVer</c>, in the subset the
/// registry uses (string literals, <c>true</c>/<c>false</c>, <c>==</c> <c>!=</c> <c>in [..]</c> <c>startsWith</c>
/// <c>endsWith</c> <c>contains</c>, <c>&amp;&amp;</c>/<c>and</c>, <c>||</c>/<c>or</c>, <c>not</c>/<c>!</c>, parentheses,
/// <c>semver("&gt;= 1.2, &lt; 2")</c>, <c>semverWithVersion(constraint, version)</c>, <c>trimPrefix(s, prefix)</c>), and
/// the comparison rules of hashicorp/go-version that aqua's <c>semver</c> uses (a version with a pre-release matches only
/// a constraint with one on the same release). Anything else is refused by name.
/// </summary>
public static class VersionConstraint
{
    // hashicorp/go-version's VersionRegexpRaw, anchored.
    private static readonly Regex VersionPattern = new(
        @"^v?([0-9]+(\.[0-9]+)*?)(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))?$",
        RegexOptions.CultureInvariant);

    private static readonly Regex ConstraintPattern = new(@"^\s*(~>|>=|<=|!=|=|>|<)?\s*(\S+)\s*$", RegexOptions.CultureInvariant);

    /// <summary>A parsed version: numeric segments (at least three) and the pre-release, if any.</summary>
    public sealed class SemanticVersion
    {
        public SemanticVersion(int[] segments, string prerelease)
        {
            Segments = segments;
            Prerelease = prerelease;
        }

        public int[] Segments { get; }
        public string Prerelease { get; }

        public int CompareTo(SemanticVersion other)
        {
            int n = Math.Max(Segments.Length, other.Segments.Length);
            for (int i = 0; i < n; i++)
            {
                int a = i < Segments.Length ? Segments[i] : 0, b = i < other.Segments.Length ? other.Segments[i] : 0;
                if (a != b) return a.CompareTo(b);
            }
            if (Prerelease == other.Prerelease) return 0;
            if (Prerelease.Length == 0) return 1;
            if (other.Prerelease.Length == 0) return -1;
            string[] x = Prerelease.Split('.'), y = other.Prerelease.Split('.');
            for (int i = 0; i < Math.Max(x.Length, y.Length); i++)
            {
                if (i >= x.Length) return -1;
                if (i >= y.Length) return 1;
                bool xn = long.TryParse(x[i], NumberStyles.None, CultureInfo.InvariantCulture, out long xv);
                bool yn = long.TryParse(y[i], NumberStyles.None, CultureInfo.InvariantCulture, out long yv);
                int c = xn && yn ? xv.CompareTo(yv) : xn ? -1 : yn ? 1 : string.CompareOrdinal(x[i], y[i]);
                if (c != 0) return Math.Sign(c);
            }
            return 0;
        }
    }

    /// <summary>Parses a version as go-version does (a leading v, 1 to n segments, pre-release, metadata ignored); null if it is not one.</summary>
    public static SemanticVersion? ParseVersion(string text)
    {
        Match m = VersionPattern.Match(text.Trim());
        if (!m.Success) return null;
        var segments = new List<int>();
        foreach (string s in m.Groups[1].Value.Split('.'))
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return null;
            segments.Add(n);
        }
        while (segments.Count < 3) segments.Add(0);
        string pre = m.Groups[4].Success && m.Groups[4].Value.Length > 0 ? m.Groups[4].Value : m.Groups[7].Value;
        return new SemanticVersion(segments.ToArray(), pre);
    }

    /// <summary>Whether <paramref name="version"/> meets a go-version constraint list ("&gt;= 1.2.0, &lt; 2").</summary>
    public static bool Satisfies(string constraints, string version, string where)
    {
        // aqua: a version go-version cannot read (rc/v2.15.4.1) meets no semver constraint; the registry relies on that.
        SemanticVersion? v = ParseVersion(version);
        if (v == null) return false;
        foreach (string part in constraints.Split(','))
        {
            Match m = ConstraintPattern.Match(part);
            SemanticVersion? c = m.Success ? ParseVersion(m.Groups[2].Value) : null;
            if (c == null) throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"'{constraints}' is not a version constraint.");
            string op = m.Groups[1].Success && m.Groups[1].Value.Length > 0 ? m.Groups[1].Value : "=";
            bool ok = op switch
            {
                "=" => v.CompareTo(c) == 0,
                "!=" => v.CompareTo(c) != 0,
                ">" => PrereleaseCheck(v, c) && v.CompareTo(c) > 0,
                "<" => PrereleaseCheck(v, c) && v.CompareTo(c) < 0,
                ">=" => PrereleaseCheck(v, c) && v.CompareTo(c) >= 0,
                "<=" => PrereleaseCheck(v, c) && v.CompareTo(c) <= 0,
                _ => throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"the constraint operator '{op}' in '{constraints}'."),
            };
            if (!ok) return false;
        }
        return true;
    }

    // go-version: a pre-release version matches only a constraint with a pre-release on the same segments.
    private static bool PrereleaseCheck(SemanticVersion v, SemanticVersion c)
    {
        bool vPre = v.Prerelease.Length > 0, cPre = c.Prerelease.Length > 0;
        if (cPre && vPre) return v.Segments.SequenceEqual(c.Segments);
        return !(vPre && !cPre);
    }

    /// <summary>Evaluates an aqua version_constraint expression for a version (the tag) and its SemVer (the tag without version_prefix).</summary>
    /// <exception cref="CatalogException">the expression uses syntax or a function outside the subset.</exception>
    public static bool Evaluate(string expression, string version, string semVer, string where) =>
        Evaluate(expression, new Dictionary<string, string> { ["Version"] = version, ["SemVer"] = semVer }, where);

    /// <summary>Evaluates an expression over named string values (Version, SemVer; GOOS, GOARCH for the legacy supported_if).</summary>
    public static bool Evaluate(string expression, IReadOnlyDictionary<string, string> values, string where)
    {
        var e = new Expression(expression, values, where);
        object result = e.Parse();
        return result is bool b ? b : throw e.Unsupported("an expression that is not true or false");
    }

    private sealed class Expression
    {
        private readonly List<string> _tokens;
        private readonly string _text, _where;
        private readonly IReadOnlyDictionary<string, string> _values;
        private int _pos;

        public Expression(string text, IReadOnlyDictionary<string, string> values, string where)
        {
            _text = text;
            _values = values;
            _where = where;
            _tokens = Tokenize(text);
        }

        public CatalogException Unsupported(string what) =>
            new(ErrorIds.CatalogDefinitionUnsupported, _where, $"version_constraint '{_text}' uses {what}, which SecureInstall does not evaluate.");

        public object Parse()
        {
            object v = Or();
            if (_pos != _tokens.Count) throw Unsupported($"'{_tokens[_pos]}'");
            return v;
        }

        private string? Peek => _pos < _tokens.Count ? _tokens[_pos] : null;

        private void Expect(string token)
        {
            if (Peek != token) throw Unsupported($"'{Peek ?? "the end"}' where '{token}' belongs");
            _pos++;
        }

        private object Or()
        {
            object left = And();
            while (Peek is "||" or "or")
            {
                _pos++;
                object right = And();
                left = Bool(left) || Bool(right);
            }
            return left;
        }

        private object And()
        {
            object left = Not();
            while (Peek is "&&" or "and")
            {
                _pos++;
                object right = Not();
                left = Bool(left) && Bool(right);
            }
            return left;
        }

        private object Not()
        {
            if (Peek is "not" or "!")
            {
                _pos++;
                return !Bool(Not());
            }
            return Comparison();
        }

        private object Comparison()
        {
            object left = Term();
            switch (Peek)
            {
                case "==": _pos++; return Str(left) == Str(Term());
                case "!=": _pos++; return Str(left) != Str(Term());
                case "startsWith": _pos++; return Str(left).StartsWith(Str(Term()), StringComparison.Ordinal);
                case "endsWith": _pos++; return Str(left).EndsWith(Str(Term()), StringComparison.Ordinal);
                case "contains": _pos++; return Str(left).IndexOf(Str(Term()), StringComparison.Ordinal) >= 0;
                case "in":
                    _pos++;
                    return Term() is List<string> list ? list.Contains(Str(left)) : throw Unsupported("'in' with something that is not a list");
                default: return left;
            }
        }

        private object Term()
        {
            string token = Peek ?? throw Unsupported("an incomplete expression");
            _pos++;
            if (token.StartsWith("\"", StringComparison.Ordinal)) return token.Substring(1, token.Length - 2);
            switch (token)
            {
                case "true": return true;
                case "false": return false;
                case "(":
                    object inner = Or();
                    Expect(")");
                    return inner;
                case "[":
                    var items = new List<string>();
                    while (Peek != "]")
                    {
                        items.Add(Str(Term()));
                        if (Peek == ",") _pos++;
                        else if (Peek != "]") throw Unsupported($"'{Peek ?? "the end"}' in a list");
                    }
                    _pos++;
                    return items;
                case "semver":
                case "semverWithVersion":
                case "trimPrefix":
                    Expect("(");
                    var args = new List<string> { Str(Term()) };
                    while (Peek == ",")
                    {
                        _pos++;
                        args.Add(Str(Term()));
                    }
                    Expect(")");
                    if (token == "semver" && args.Count == 1) return Satisfies(args[0], _values.TryGetValue("SemVer", out string? sv) ? sv : "", _where);
                    if (token == "semverWithVersion" && args.Count == 2) return Satisfies(args[0], args[1], _where);
                    if (token == "trimPrefix" && args.Count == 2) return args[0].StartsWith(args[1], StringComparison.Ordinal) ? args[0].Substring(args[1].Length) : args[0];
                    throw Unsupported($"{token} with {args.Count} argument(s)");
                default:
                    return _values.TryGetValue(token, out string? value) ? value : throw Unsupported($"'{token}'");
            }
        }

        private bool Bool(object v) => v is bool b ? b : throw Unsupported($"'{v}' where true or false belongs");

        private string Str(object v) => v is string s ? s : throw Unsupported($"'{v}' where a string belongs");

        private List<string> Tokenize(string text)
        {
            var tokens = new List<string>();
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (char.IsWhiteSpace(c)) { i++; continue; }
                if (c == '"' || c == '\'')
                {
                    int end = text.IndexOf(c, i + 1);
                    if (end < 0) throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, _where, $"version_constraint '{text}' has an unterminated string.");
                    string literal = text.Substring(i + 1, end - i - 1);
                    if (literal.IndexOf('\\') >= 0) throw Unsupported("escapes in a string");
                    tokens.Add("\"" + literal + "\"");
                    i = end + 1;
                }
                else if (char.IsLetter(c))
                {
                    int start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                    tokens.Add(text.Substring(start, i - start));
                }
                else if (i + 1 < text.Length && (text.Substring(i, 2) is "==" or "!=" or "&&" or "||"))
                {
                    tokens.Add(text.Substring(i, 2));
                    i += 2;
                }
                else if ("()[],!".IndexOf(c) >= 0)
                {
                    tokens.Add(c.ToString());
                    i++;
                }
                else
                {
                    throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, _where, $"version_constraint '{text}' uses '{c}', which SecureInstall does not evaluate.");
                }
            }
            return tokens;
        }
    }
}
