namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>
/// The subset of Go's text/template (with the sprig functions) that aqua registry definitions use, found by walking the
/// registry: <c>{{.Field}}</c>, <c>{{.Vars.name}}</c>, string literals, function calls, pipes and a parenthesised call
/// with a field after it. Functions: <c>trimV</c>, <c>trimPrefix</c>, <c>trimSuffix</c>, <c>title</c>, <c>semver</c>
/// (with <c>.Major</c>, <c>.Minor</c>, <c>.Patch</c>). Anything else (another function, <c>if</c>/<c>range</c>, trim
/// markers, variables) is refused by name rather than rendered as a guess.
/// </summary>
public static class GoTemplate
{
    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal) { "trimV", "trimPrefix", "trimSuffix", "title", "semver" };

    /// <exception cref="CatalogException">the template uses syntax or a name outside the subset, or names a value not given.</exception>
    public static string Render(string template, IReadOnlyDictionary<string, string> values, string where)
    {
        if (template == null) throw new ArgumentNullException(nameof(template));
        var output = new StringBuilder(template.Length);
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                output.Append(template, i, template.Length - i);
                break;
            }
            output.Append(template, i, open - i);
            int close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) throw Unsupported(where, template, "an action '{{' is never closed");
            string action = template.Substring(open + 2, close - open - 2);
            if (action.StartsWith("-", StringComparison.Ordinal) || action.EndsWith("-", StringComparison.Ordinal))
                throw Unsupported(where, template, "trim markers ({{- -}})");
            var parser = new Parser(action, values, where, template);
            output.Append(parser.Evaluate().Text);
            i = close + 2;
        }
        return output.ToString();
    }

    private static CatalogException Unsupported(string where, string template, string what) =>
        new(ErrorIds.CatalogDefinitionUnsupported, where, $"the template '{template}' uses {what}, which SecureInstall does not render (it renders fields, string literals, pipes and {string.Join(", ", Functions)}).");

    /// <summary>A template value: a string, or a parsed semantic version (from <c>semver</c>).</summary>
    private sealed class Value
    {
        public Value(string text, int[]? parts = null)
        {
            Text = text;
            Parts = parts;
        }

        public string Text { get; }
        public int[]? Parts { get; }
    }

    private sealed class Parser
    {
        private readonly string _text;
        private readonly IReadOnlyDictionary<string, string> _values;
        private readonly string _where;
        private readonly string _template;
        private int _pos;

        public Parser(string text, IReadOnlyDictionary<string, string> values, string where, string template)
        {
            _text = text;
            _values = values;
            _where = where;
            _template = template;
        }

        public Value Evaluate()
        {
            Value result = Pipeline();
            SkipSpace();
            if (_pos != _text.Length) throw Unsupported(_where, _template, $"'{_text.Substring(_pos)}'");
            return result;
        }

        private Value Pipeline()
        {
            Value value = Command(null);
            while (true)
            {
                SkipSpace();
                if (_pos < _text.Length && _text[_pos] == '|')
                {
                    _pos++;
                    value = Command(value);
                }
                else
                {
                    return value;
                }
            }
        }

        // A command: an operand alone, or a function with its arguments (plus the piped value as the last one).
        private Value Command(Value? piped)
        {
            SkipSpace();
            if (_pos < _text.Length && char.IsLetter(_text[_pos]))
            {
                string name = Identifier();
                if (!Functions.Contains(name))
                    throw Unsupported(_where, _template, name is "if" or "else" or "end" or "range" or "with" or "define" or "template" or "block" ? $"the '{name}' action" : $"the function '{name}'");
                var args = new List<Value>();
                while (true)
                {
                    SkipSpace();
                    if (_pos >= _text.Length || _text[_pos] == '|' || _text[_pos] == ')') break;
                    args.Add(Operand());
                }
                if (piped != null) args.Add(piped);
                return Call(name, args);
            }
            if (piped != null) throw Unsupported(_where, _template, "a pipe into something that is not a function");
            return Operand();
        }

        private Value Operand()
        {
            SkipSpace();
            if (_pos >= _text.Length) throw Unsupported(_where, _template, "an empty action");
            char c = _text[_pos];
            Value value;
            if (c == '"') value = new Value(StringLiteral());
            else if (c == '.') return Fields(null);
            else if (c == '(')
            {
                _pos++;
                value = Pipeline();
                SkipSpace();
                if (_pos >= _text.Length || _text[_pos] != ')') throw Unsupported(_where, _template, "an unclosed '('");
                _pos++;
            }
            else if (c == '$') throw Unsupported(_where, _template, "template variables ($)");
            else throw Unsupported(_where, _template, $"'{_text.Substring(_pos)}'");
            return _pos < _text.Length && _text[_pos] == '.' ? Fields(value) : value;
        }

        // .Version, .Vars.name, or (semver .SemVer).Major.
        private Value Fields(Value? of)
        {
            var names = new List<string>();
            while (_pos < _text.Length && _text[_pos] == '.')
            {
                _pos++;
                names.Add(Identifier());
            }
            if (of != null)
            {
                if (of.Parts == null || names.Count != 1) throw Unsupported(_where, _template, $"the field '.{string.Join(".", names)}' of a string");
                int index = names[0] switch { "Major" => 0, "Minor" => 1, "Patch" => 2, _ => -1 };
                if (index < 0) throw Unsupported(_where, _template, $"the version field '.{names[0]}' (Major, Minor, Patch are rendered)");
                return new Value(of.Parts[index].ToString(CultureInfo.InvariantCulture));
            }
            string key = string.Join(".", names);
            if (names.Count == 0 || names[0].Length == 0) throw Unsupported(_where, _template, "the bare '.'");
            if (!_values.TryGetValue(key, out string? text))
                throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, _where,
                    $"the template '{_template}' names .{key}, which {(names[0] == "Vars" ? "the definition leaves to the user (a var with no default), which SecureInstall does not take" : "is not a value SecureInstall renders here")}.");
            return new Value(text);
        }

        private Value Call(string name, List<Value> args)
        {
            void Arity(int n)
            {
                if (args.Count != n) throw Unsupported(_where, _template, $"{name} with {args.Count} argument(s) (it takes {n})");
            }
            switch (name)
            {
                case "trimV":
                    Arity(1);
                    return new Value(args[0].Text.StartsWith("v", StringComparison.Ordinal) ? args[0].Text.Substring(1) : args[0].Text);
                case "trimPrefix":
                    Arity(2);
                    return new Value(args[1].Text.StartsWith(args[0].Text, StringComparison.Ordinal) ? args[1].Text.Substring(args[0].Text.Length) : args[1].Text);
                case "trimSuffix":
                    Arity(2);
                    return new Value(args[1].Text.EndsWith(args[0].Text, StringComparison.Ordinal) ? args[1].Text.Substring(0, args[1].Text.Length - args[0].Text.Length) : args[1].Text);
                case "title":
                    Arity(1);
                    return new Value(Title(args[0].Text));
                default:
                    Arity(1);
                    int[] parts = VersionConstraint.ParseVersion(args[0].Text)?.Segments
                        ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, _where, $"the template '{_template}': '{args[0].Text}' is not a semantic version.");
                    return new Value(args[0].Text, parts);
            }
        }

        private static string Title(string s)
        {
            var b = new StringBuilder(s);
            for (int i = 0; i < b.Length; i++)
            {
                if (char.IsLetter(b[i]) && (i == 0 || !char.IsLetterOrDigit(b[i - 1]))) b[i] = char.ToUpperInvariant(b[i]);
            }
            return b.ToString();
        }

        private string StringLiteral()
        {
            int end = _text.IndexOf('"', _pos + 1);
            if (end < 0) throw Unsupported(_where, _template, "an unterminated string");
            string literal = _text.Substring(_pos + 1, end - _pos - 1);
            if (literal.IndexOf('\\') >= 0) throw Unsupported(_where, _template, "escapes in a string literal");
            _pos = end + 1;
            return literal;
        }

        private string Identifier()
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
            return _text.Substring(start, _pos - start);
        }

        private void SkipSpace()
        {
            while (_pos < _text.Length && _text[_pos] == ' ') _pos++;
        }
    }
}
