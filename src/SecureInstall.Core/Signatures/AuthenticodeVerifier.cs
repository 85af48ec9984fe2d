using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Signatures;

public sealed class AuthenticodeVerifierOptions
{
    /// <summary>Accept only a signer certificate with one of these SHA-1 thumbprints (40 hex digits, as Get-AuthenticodeSignature shows).</summary>
    public IList<string> SignerThumbprints { get; } = new List<string>();

    /// <summary>Accept only a signer certificate whose subject is exactly one of these distinguished names (case-insensitive).</summary>
    public IList<string> SignerSubjects { get; } = new List<string>();

    /// <summary>Check the whole certificate chain for revocation (on by default; turning it off is for offline machines). WinVerifyTrust's part: the managed check is offline.</summary>
    public bool CheckRevocation { get; set; } = true;

    /// <summary>Where the signer's chain (and a timestamp authority's) must end: -TrustedRoot certificates, or the platform's root store.</summary>
    public AuthenticodeTrust Trust { get; set; } = AuthenticodeTrust.PlatformStore;
}

/// <summary>What the platform's own Authenticode check (WinVerifyTrust) accepted: the primary signer.</summary>
public sealed class PlatformAuthenticodeVerdict
{
    public PlatformAuthenticodeVerdict(string thumbprint, string subject, string algorithm)
    {
        Thumbprint = thumbprint;
        Subject = subject;
        Algorithm = algorithm;
    }

    public string Thumbprint { get; }
    public string Subject { get; }
    public string Algorithm { get; }
}

/// <summary>The platform's Authenticode check (WinVerifyTrust on Windows): returns the primary signer or throws a <see cref="SignatureVerificationException"/>.</summary>
public interface IPlatformAuthenticode
{
    string Name { get; }
    PlatformAuthenticodeVerdict Verify(string path, bool checkRevocation, SignatureResult result);
}

/// <summary>
/// Verifies the Authenticode signature embedded in a Windows file, then pins the signer certificate by thumbprint or
/// subject: "signed by someone the machine trusts" is not enough to install a tool. PE files (.exe, .dll, .sys), cabinets
/// and MSI packages, told apart by their first bytes, and PowerShell scripts (.ps1, .psm1, .psd1, .ps1xml; by name) are
/// verified in managed code on every OS (<see cref="ManagedAuthenticode"/>); on Windows WinVerifyTrust runs as well
/// (revocation, machine policy) and both must accept the same signer, else the file fails. Other files are WinVerifyTrust's
/// alone: elsewhere they fail with <see cref="SignatureNotSupportedException"/>, as a check that cannot run never passes
/// (PSResourceGet skips it off Windows and reports success).
/// </summary>
public sealed class AuthenticodeVerifier
{
    private readonly AuthenticodeVerifierOptions _options;
    private readonly HashSet<string> _thumbprints;
    private readonly ManagedAuthenticode _managed;
    private readonly IPlatformAuthenticode? _platform;

    /// <exception cref="InvalidFingerprintException">a thumbprint is not 40 hex digits.</exception>
    /// <exception cref="ArgumentException">neither a thumbprint nor a subject is given.</exception>
    public AuthenticodeVerifier(AuthenticodeVerifierOptions options)
        : this(options, RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? new WinTrust() : null, null)
    {
    }

    /// <summary>With another platform check (or none) and clock: the agreement rule is tested through this.</summary>
    internal AuthenticodeVerifier(AuthenticodeVerifierOptions options, IPlatformAuthenticode? platform, Func<DateTimeOffset>? now)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.SignerThumbprints.Count == 0 && options.SignerSubjects.Count == 0)
            throw new ArgumentException("Name the signer to trust with a certificate thumbprint or subject: any valid Authenticode signature is not a pin.", nameof(options));
        _thumbprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (string t in options.SignerThumbprints)
        {
            string hex = new string(t.Where(c => !char.IsWhiteSpace(c)).ToArray()).ToUpperInvariant();
            if (hex.Length != 40 || !Checksums.Hex.IsHex(hex))
                throw new InvalidFingerprintException(t, "an Authenticode signer thumbprint is the certificate's SHA-1 thumbprint, 40 hex digits ((Get-AuthenticodeSignature FILE).SignerCertificate.Thumbprint).");
            _thumbprints.Add(hex);
        }
        _managed = new ManagedAuthenticode(options.Trust ?? throw new ArgumentException("No trust for the chain.", nameof(options)), now);
        _platform = platform;
    }

    /// <summary>
    /// The verifier for the front ends' signer options (-SignerThumbprint/-SignerSubject/-TrustedRoot, --signer-thumbprint/
    /// --signer-subject/--trusted-root); null when none is given.
    /// </summary>
    /// <exception cref="SignatureParametersException">root certificates without a signer pin.</exception>
    /// <exception cref="InvalidFingerprintException">a thumbprint is not 40 hex digits.</exception>
    /// <exception cref="PublicKeyFormatException">a root file cannot be read.</exception>
    public static AuthenticodeVerifier? FromPins(IReadOnlyList<string> thumbprints, IReadOnlyList<string> subjects, IReadOnlyList<string> rootFiles, string rootOption)
    {
        if (thumbprints == null) throw new ArgumentNullException(nameof(thumbprints));
        if (subjects == null) throw new ArgumentNullException(nameof(subjects));
        if (rootFiles == null) throw new ArgumentNullException(nameof(rootFiles));
        if (thumbprints.Count == 0 && subjects.Count == 0)
        {
            if (rootFiles.Count == 0) return null;
            throw new SignatureParametersException($"{rootOption} only says where an Authenticode signer's chain must end: pin the signer too, by its certificate thumbprint or subject.");
        }
        var options = new AuthenticodeVerifierOptions();
        foreach (string t in thumbprints) options.SignerThumbprints.Add(t);
        foreach (string s in subjects) options.SignerSubjects.Add(s);
        if (rootFiles.Count > 0) options.Trust = AuthenticodeTrust.FromFiles(rootFiles);
        return new AuthenticodeVerifier(options);
    }

    public string TrustedSignerDescription =>
        string.Join(" or ", _thumbprints.Select(t => "thumbprint " + t).Concat(_options.SignerSubjects.Select(s => $"subject '{s}'")))
        + $", chained to {_options.Trust.Description}";

    /// <summary>Which checks run, for verbose output.</summary>
    public string CheckDescription => "managed Authenticode for PE, cabinet, MSI files and PowerShell scripts (file digest, CMS signature, chain, code-signing EKU, timestamp, nested signatures)"
        + (_platform != null ? $", and {_platform.Name}" : "");

    public SignatureResult Verify(string path) => Verify(path, CancellationToken.None);

    public SignatureResult Verify(string path, CancellationToken cancel) => Verify(path, path, cancel);

    /// <summary>
    /// Verifies the file at <paramref name="path"/>, naming it <paramref name="shownAs"/> in the result and the errors: a
    /// download is checked in its temporary file, and the user knows it by its URI.
    /// </summary>
    public SignatureResult Verify(string path, string shownAs, CancellationToken cancel)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (shownAs == null) throw new ArgumentNullException(nameof(shownAs));
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);

        var result = new SignatureResult(SignatureScheme.Authenticode, true, shownAs, shownAs);
        var checks = new List<string>();
        IReadOnlyList<AuthenticodeSigner>? signers = null;
        // A download is checked in a temporary file: its URI's name says what it is (a script has no magic bytes).
        string typedName = TypedName(path, shownAs);
        // With two checks, the file is held open with writers denied from before the first until after the second, and
        // the platform's reads a private copy made from that hold (Authenticode.PlatformCopy): both see the same bytes.
        using FileStream? held = _platform != null ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read) : null;
        string? kind = ManagedAuthenticode.KindOf(path, typedName);
        if (kind != null)
        {
            signers = _managed.Verify(path, typedName, result, cancel);
            checks.Add($"managed ({signers.Count} signature{(signers.Count == 1 ? "" : "s")}: {AuthenticodeContainer.HashName(kind)} {string.Join("/", signers.Select(s => s.ImageHash).Distinct())}, "
                       + $"CMS signature, code-signing chain to {(_options.Trust.UsesPlatformStore ? "the platform store" : "the trusted roots")}"
                       + (signers.Any(s => s.Timestamp != null) ? ", timestamp" : ", no timestamp") + "; revocation not checked)");
        }
        else if (_platform == null)
        {
            throw new SignatureNotSupportedException(shownAs,
                $"it is not a PE file (exe, dll, sys), a cabinet (MSCF), an MSI package (OLE compound file) or a PowerShell script (.ps1, .psm1, .psd1, .ps1xml); this is {RuntimeInformation.OSDescription.Trim()}. Verify the file on Windows, or pin its SHA-256 or a minisign/OpenPGP signature instead");
        }

        if (_platform != null)
        {
            PlatformAuthenticodeVerdict verdict;
            using (PlatformCopy copy = PlatformCopy.Of(held!, typedName, result, cancel))
                verdict = _platform.Verify(copy.Path, _options.CheckRevocation, result);
            checks.Add(_platform.Name + (_options.CheckRevocation ? " (with revocation)" : " (revocation off)"));
            signers = AuthenticodeAgreement.Combine(signers, verdict, result);
        }
        result.Checks = string.Join("; ", checks);

        AuthenticodeSigner? pinned = signers!.FirstOrDefault(s => _thumbprints.Contains(s.Thumbprint.ToUpperInvariant())
            || _options.SignerSubjects.Any(p => string.Equals(p.Trim(), s.Subject, StringComparison.OrdinalIgnoreCase)));
        AuthenticodeSigner shown = pinned ?? signers![0];
        result.Signer = shown.Subject;
        result.KeyId = result.Fingerprint = shown.Thumbprint;
        result.Algorithm = shown.Algorithm;
        result.SignedAt = shown.Timestamp ?? result.SignedAt;
        if (pinned == null)
            throw new SignerNotTrustedException(result.AsInvalid(), TrustedSignerDescription,
                string.Join("; ", signers!.Select(s => $"thumbprint {s.Thumbprint}, subject '{s.Subject}'")),
                "the file is validly signed, but by a certificate you did not pin");
        return result;
    }

    /// <summary>
    /// The name whose extension says what the file is: its own when it is a script name or is what the user named, else
    /// (a temporary file, ".x.1a2b.partial") the name it is shown by, a download's URI.
    /// </summary>
    internal static string TypedName(string path, string shownAs) =>
        Authenticode.PowerShellScript.IsScriptName(path) || string.Equals(path, shownAs, StringComparison.Ordinal) ? path : shownAs;

    /// <summary>WinVerifyTrust through P/Invoke; the only Windows-specific code of the core.</summary>
    private sealed class WinTrust : IPlatformAuthenticode
    {
        public string Name => "WinVerifyTrust";

        public PlatformAuthenticodeVerdict Verify(string path, bool checkRevocation, SignatureResult result)
        {
            using X509Certificate2 signer = VerifyEmbedded(path, checkRevocation, result);
            return new PlatformAuthenticodeVerdict(signer.Thumbprint.ToUpperInvariant(), signer.Subject, signer.SignatureAlgorithm.FriendlyName);
        }

        private static readonly Guid GenericVerifyV2 = new("00AAC56B-CD44-11d0-8CC2-00C04FC295EE");
        private const uint UiNone = 2, RevokeNone = 0, RevokeWholeChain = 1, ChoiceFile = 1, StateVerify = 1, StateClose = 2;
        private const uint RevocationCheckChainExcludeRoot = 0x80;

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        private struct FileInfo
        {
            public uint cbStruct;
            [MarshalAs(UnmanagedType.LPWStr)] public string pcwszFilePath;
            public IntPtr hFile;
            public IntPtr pgKnownSubject;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct TrustData
        {
            public uint cbStruct;
            public IntPtr pPolicyCallbackData;
            public IntPtr pSIPClientData;
            public uint dwUIChoice;
            public uint fdwRevocationChecks;
            public uint dwUnionChoice;
            public IntPtr pFile;
            public uint dwStateAction;
            public IntPtr hWVTStateData;
            public IntPtr pwszURLReference;
            public uint dwProvFlags;
            public uint dwUIContext;
            public IntPtr pSignatureSettings;
        }

        [DllImport("wintrust.dll", ExactSpelling = true, SetLastError = false)]
        private static extern int WinVerifyTrust(IntPtr hwnd, [In] ref Guid action, [In, Out] ref TrustData data);

        [DllImport("wintrust.dll", ExactSpelling = true)]
        private static extern IntPtr WTHelperProvDataFromStateData(IntPtr stateData);

        [DllImport("wintrust.dll", ExactSpelling = true)]
        private static extern IntPtr WTHelperGetProvSignerFromChain(IntPtr provData, uint signerIndex, [MarshalAs(UnmanagedType.Bool)] bool counterSigner, uint counterSignerIndex);

        [DllImport("wintrust.dll", ExactSpelling = true)]
        private static extern IntPtr WTHelperGetProvCertFromChain(IntPtr signer, uint certIndex);

        public static X509Certificate2 VerifyEmbedded(string path, bool checkRevocation, SignatureResult result)
        {
            var file = new FileInfo { cbStruct = (uint)Marshal.SizeOf<FileInfo>(), pcwszFilePath = path };
            IntPtr filePtr = Marshal.AllocHGlobal(Marshal.SizeOf<FileInfo>());
            Guid action = GenericVerifyV2;
            var data = new TrustData
            {
                cbStruct = (uint)Marshal.SizeOf<TrustData>(),
                dwUIChoice = UiNone,
                fdwRevocationChecks = checkRevocation ? RevokeWholeChain : RevokeNone,
                dwUnionChoice = ChoiceFile,
                dwStateAction = StateVerify,
                dwProvFlags = checkRevocation ? RevocationCheckChainExcludeRoot : 0,
            };
            try
            {
                Marshal.StructureToPtr(file, filePtr, false);
                data.pFile = filePtr;
                int status = WinVerifyTrust(new IntPtr(-1), ref action, ref data);
                try
                {
                    if (status != 0) throw Failure(status, result);
                    // The signer certificate WinVerifyTrust just validated: CRYPT_PROVIDER_CERT { DWORD cbStruct; PCCERT_CONTEXT pCert; … }.
                    IntPtr provider = WTHelperProvDataFromStateData(data.hWVTStateData);
                    IntPtr signer = provider == IntPtr.Zero ? IntPtr.Zero : WTHelperGetProvSignerFromChain(provider, 0, false, 0);
                    IntPtr cert = signer == IntPtr.Zero ? IntPtr.Zero : WTHelperGetProvCertFromChain(signer, 0);
                    IntPtr context = cert == IntPtr.Zero ? IntPtr.Zero : Marshal.ReadIntPtr(cert, IntPtr.Size);
                    if (context == IntPtr.Zero)
                        throw new SignatureInvalidException(result.AsInvalid(), "Windows accepted the signature but did not report its signer certificate; refusing to pass it unpinned");
                    return new X509Certificate2(context); // duplicates the context, which stays valid until the state is closed
                }
                finally
                {
                    data.dwStateAction = StateClose;
                    _ = WinVerifyTrust(new IntPtr(-1), ref action, ref data);
                }
            }
            finally
            {
                Marshal.DestroyStructure<FileInfo>(filePtr);
                Marshal.FreeHGlobal(filePtr);
            }
        }

        private static Exception Failure(int status, SignatureResult result)
        {
            string code = "0x" + ((uint)status).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
            string message = new Win32Exception(status).Message;
            switch ((uint)status)
            {
                case 0x800B0100: // TRUST_E_NOSIGNATURE
                case 0x800B0003: // TRUST_E_SUBJECT_FORM_UNKNOWN
                case 0x800B0001: // TRUST_E_PROVIDER_UNKNOWN
                    return new SignatureInvalidException(result.AsInvalid(), $"the file carries no Authenticode signature Windows can read ({code}: {message})");
                case 0x80096010: // TRUST_E_BAD_DIGEST
                    return new SignatureInvalidException(result.AsInvalid(), $"the file was changed after it was signed ({code}: {message})");
                case 0x800B0109: // CERT_E_UNTRUSTEDROOT
                case 0x800B010A: // CERT_E_CHAINING
                case 0x800B0111: // TRUST_E_EXPLICIT_DISTRUST
                case 0x800B010C: // CERT_E_REVOKED
                case 0x800B0101: // CERT_E_EXPIRED
                case 0x80092010: // CRYPT_E_REVOKED
                    return new SignerNotTrustedException(result.AsInvalid(), "a certificate chain Windows trusts", code, $"Windows does not trust the signer ({message})");
                default:
                    return new SignatureInvalidException(result.AsInvalid(), $"WinVerifyTrust failed with {code}: {message}");
            }
        }
    }
}
