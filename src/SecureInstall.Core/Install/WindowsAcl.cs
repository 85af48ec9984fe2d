namespace SecureInstall.Core.Install;

/// <summary>
/// The Windows ACL rules of a machine-wide install root, on security descriptors in SDDL form (what Windows reads and
/// writes, see <see cref="WindowsMachineRootSecurity"/>): pure string logic, so it is tested on every OS.
/// </summary>
public static class WindowsAcl
{
    /// <summary>
    /// Owner Administrators; protected DACL (inheritance from the parent removed); Administrators and SYSTEM full control,
    /// Users read and execute (0x1200a9), and OWNER RIGHTS (S-1-3-4, "OW") read and execute only, each inherited by files
    /// and folders below. An owner implicitly has WRITE_DAC and READ_CONTROL ("Owner of a New Object"); an ACE for OWNER
    /// RIGHTS makes Windows ignore those implicit rights and grant the owner what the ACE says ("Security identifiers",
    /// S-1-3-4). So whoever owns an entry below (an administrator's own account, when the policy "Default owner for objects
    /// created by members of the Administrators group" is "Object creator") cannot rewrite its ACL from an unelevated,
    /// UAC-filtered token: only the Administrators and SYSTEM entries grant WRITE_DAC.
    /// </summary>
    public const string MachineRootSddl = "O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1200a9;;;OW)";

    private const string TrustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

    /// <summary>
    /// Who may hold write rights: Administrators, SYSTEM, TrustedInstaller, and CREATOR OWNER (it grants only to whoever may
    /// create an entry, which the others already decide).
    /// </summary>
    private static readonly HashSet<string> Trusted = new(StringComparer.OrdinalIgnoreCase)
    {
        "BA", "S-1-5-32-544", "SY", "S-1-5-18", "CO", "S-1-3-0", TrustedInstaller,
    };

    /// <summary>Who may own an entry (an owner may always rewrite its DACL): Administrators, SYSTEM, TrustedInstaller. Not CREATOR OWNER, a placeholder no entry is owned by.</summary>
    private static readonly HashSet<string> TrustedOwners = new(StringComparer.OrdinalIgnoreCase)
    {
        "BA", "S-1-5-32-544", "SY", "S-1-5-18", TrustedInstaller,
    };

    /// <summary>Rights that change a file or folder or what is in it: write/append data (add file/subfolder), write EA and attributes, delete child, delete, write DAC, write owner, generic all/write.</summary>
    private const uint WriteRights = 0x2 | 0x4 | 0x10 | 0x40 | 0x100 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000;

    private static readonly Dictionary<string, uint> RightNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GA"] = 0x10000000, ["GR"] = 0x80000000, ["GW"] = 0x40000000, ["GX"] = 0x20000000,
        ["FA"] = 0x1F01FF, ["FR"] = 0x120089, ["FW"] = 0x120116, ["FX"] = 0x1200A0,
        ["SD"] = 0x10000, ["RC"] = 0x20000, ["WD"] = 0x40000, ["WO"] = 0x80000,
        ["CC"] = 0x1, ["DC"] = 0x2, ["LC"] = 0x4, ["SW"] = 0x8, ["RP"] = 0x10, ["WP"] = 0x20, ["DT"] = 0x40, ["LO"] = 0x80, ["CR"] = 0x100,
        ["KA"] = 0xF003F, ["KR"] = 0x20019, ["KW"] = 0x20006, ["KX"] = 0x20019,
    };

    /// <summary>
    /// Why the security descriptor <paramref name="sddl"/> lets someone other than an administrator change the entry, or null:
    /// an owner who is not Administrators/SYSTEM/TrustedInstaller/<paramref name="trustedOwner"/> (an owner has WRITE_DAC
    /// implicitly, so a user who pre-created a folder keeps it however admin-only its entries look), no DACL or a NULL DACL
    /// (everyone has full control), or an allow entry granting write rights to any other account.
    /// </summary>
    /// <param name="trustedOwner">
    /// The default owner of what the elevated installer itself creates (its token's TOKEN_OWNER, as SDDL writes it): the
    /// policy "System objects: Default owner for objects created by members of the Administrators group" makes it either
    /// Administrators or, with "Object creator", the administrator's own account. Null when not elevated.
    /// </param>
    public static string? Problem(string sddl, string? trustedOwner = null)
    {
        if (sddl == null) throw new ArgumentNullException(nameof(sddl));
        string? owner = Part(sddl, 'O');
        if (owner == null) return "its owner could not be read";
        if (!TrustedOwners.Contains(owner) && !string.Equals(owner, trustedOwner, StringComparison.OrdinalIgnoreCase))
            return $"owned by {owner}, not Administrators, SYSTEM or TrustedInstaller (an owner can always change the ACL)";
        string? dacl = Part(sddl, 'D');
        if (dacl == null || dacl.StartsWith("NO_ACCESS_CONTROL", StringComparison.OrdinalIgnoreCase)) return "it has no DACL (everyone has full control)";
        var problems = new List<string>();
        int at = dacl.IndexOf('(');
        while (at >= 0)
        {
            int end = ClosingParenthesis(dacl, at);
            if (end < 0) return $"its DACL '{dacl}' cannot be read";
            // A conditional entry carries its condition, in parentheses and possibly with ';', as a seventh field.
            string[] fields = dacl.Substring(at + 1, end - at - 1).Split(new[] { ';' }, 7);
            if (fields.Length < 6) return $"its DACL entry '({string.Join(";", fields)})' cannot be read";
            string type = fields[0], sid = fields[5];
            // Every entry that is not a deny grants what it names (A, OA, and the conditional/callback XA, ZA …): a condition
            // is no protection we can judge, so it counts as granted.
            bool grants = !(type.Equals("D", StringComparison.OrdinalIgnoreCase) || type.Equals("OD", StringComparison.OrdinalIgnoreCase) || type.Equals("XD", StringComparison.OrdinalIgnoreCase));
            if (grants && !Trusted.Contains(sid))
            {
                uint? rights = Rights(fields[2]);
                if (rights == null) return $"its DACL grants {sid} rights '{fields[2]}' that cannot be read";
                if ((rights.Value & WriteRights) != 0) problems.Add($"{sid} is allowed {fields[2]} (which includes writing)");
            }
            at = dacl.IndexOf('(', end);
        }
        return problems.Count == 0 ? null : "its ACL lets a non-administrator change it: " + string.Join(", ", problems);
    }

    /// <summary>The index of the ')' that closes the '(' at <paramref name="open"/> (conditions nest parentheses), or -1.</summary>
    private static int ClosingParenthesis(string text, int open)
    {
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary>The value of "O:", "G:", "D:" or "S:" in an SDDL string (up to the next part), or null.</summary>
    /// <remarks>Outside parentheses only a part's tag is followed by ':' (SIDs, flags and ACEs hold none at that level).</remarks>
    private static string? Part(string sddl, char tag)
    {
        var starts = new List<int>();
        int depth = 0;
        for (int i = 0; i + 1 < sddl.Length; i++)
        {
            if (sddl[i] == '(') depth++;
            else if (sddl[i] == ')') depth--;
            else if (depth == 0 && sddl[i + 1] == ':' && "OGDS".IndexOf(sddl[i]) >= 0) starts.Add(i);
        }
        for (int k = 0; k < starts.Count; k++)
        {
            if (sddl[starts[k]] != tag) continue;
            int end = k + 1 < starts.Count ? starts[k + 1] : sddl.Length;
            return sddl.Substring(starts[k] + 2, end - starts[k] - 2);
        }
        return null;
    }

    private static uint? Rights(string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(text.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint hex) ? hex : null;
        if (text.Length % 2 != 0) return null;
        uint rights = 0;
        for (int i = 0; i < text.Length; i += 2)
        {
            if (!RightNames.TryGetValue(text.Substring(i, 2), out uint bit)) return null;
            rights |= bit;
        }
        return rights;
    }
}
