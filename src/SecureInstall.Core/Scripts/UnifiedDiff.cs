namespace SecureInstall.Core.Scripts;

/// <summary>
/// A line-based unified diff (as `diff -u` prints), for showing a person how a pinned script changed. Lines end where
/// PowerShell ends them (LF, CRLF, or a lone CR), and every line and name is shown through
/// <see cref="ScriptText.ForReviewLine"/>, so no control character in either script can hide a change from the reader.
/// </summary>
public static class UnifiedDiff
{
    /// <summary>Beyond this many lines on each side (after the common ends are cut) the diff is summarised, not computed.</summary>
    public const int MaximumLines = 20000;

    public static string Create(string oldText, string newText, string oldName, string newName, int context = 3)
    {
        string[] a = Lines(oldText), b = Lines(newText);
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix]) suffix++;
        int n = a.Length - prefix - suffix, m = b.Length - prefix - suffix;
        var sb = new StringBuilder();
        sb.Append("--- ").Append(ScriptText.ForReviewLine(oldName)).Append('\n').Append("+++ ").Append(ScriptText.ForReviewLine(newName)).Append('\n');
        if (n == 0 && m == 0) return sb.ToString();
        if ((long)n * m > (long)MaximumLines * 1000)
        {
            sb.Append($"@@ -{prefix + 1},{n} +{prefix + 1},{m} @@ (too large to diff line by line)\n");
            return sb.ToString();
        }

        // Longest common subsequence over the middle part, then a walk that emits ' ', '-' and '+' lines.
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                lcs[i, j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var ops = new List<(char Op, int OldLine, int NewLine)>();
        for (int k = 0; k < prefix; k++) ops.Add((' ', k, k));
        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[prefix + x] == b[prefix + y]) { ops.Add((' ', prefix + x, prefix + y)); x++; y++; }
            // Removals before additions, as diff -u prints them.
            else if (x < n && (y == m || lcs[x + 1, y] >= lcs[x, y + 1])) { ops.Add(('-', prefix + x, prefix + y)); x++; }
            else { ops.Add(('+', prefix + x, prefix + y)); y++; }
        }
        for (int k = 0; k < suffix; k++) ops.Add((' ', a.Length - suffix + k, b.Length - suffix + k));

        // Group changes into hunks with `context` unchanged lines around them.
        int index = 0;
        while (index < ops.Count)
        {
            while (index < ops.Count && ops[index].Op == ' ') index++;
            if (index >= ops.Count) break;
            int start = Math.Max(0, index - context), end = index;
            while (end < ops.Count)
            {
                if (ops[end].Op != ' ') { end++; continue; }
                int run = end;
                while (run < ops.Count && ops[run].Op == ' ') run++;
                if (run >= ops.Count || run - end > 2 * context) { end = Math.Min(ops.Count, end + context); break; }
                end = run;
            }
            int oldStart = ops[start].OldLine, newStart = ops[start].NewLine, oldCount = 0, newCount = 0;
            for (int k = start; k < end; k++)
            {
                if (ops[k].Op != '+') oldCount++;
                if (ops[k].Op != '-') newCount++;
            }
            sb.Append($"@@ -{Range(oldStart, oldCount)} +{Range(newStart, newCount)} @@\n");
            for (int k = start; k < end; k++)
            {
                string line = ops[k].Op == '+' ? b[ops[k].NewLine] : a[ops[k].OldLine];
                sb.Append(ops[k].Op).Append(ScriptText.ForReviewLine(line)).Append('\n');
            }
            index = end;
        }
        return sb.ToString();
    }

    private static string Range(int start, int count) => count == 0 ? $"{start},0" : count == 1 ? $"{start + 1}" : $"{start + 1},{count}";

    /// <summary>The lines as PowerShell's parser sees them; a line ended by a lone CR keeps it, so the diff shows it.</summary>
    private static string[] Lines(string text)
    {
        string normalized = text.Replace("\r\n", "\n");
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < normalized.Length; i++)
        {
            if (normalized[i] == '\n') { lines.Add(normalized.Substring(start, i - start)); start = i + 1; }
            else if (normalized[i] == '\r') { lines.Add(normalized.Substring(start, i + 1 - start)); start = i + 1; }
        }
        if (start < normalized.Length) lines.Add(normalized.Substring(start));
        return lines.ToArray();
    }
}
