using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SecureInstall.Core.Registries;

/// <summary>
/// A Docker credential helper (<c>docker-credential-NAME</c> on PATH: pass, secretservice, osxkeychain, wincred, ecr-login…)
/// named by the Docker config's <c>credsStore</c> or <c>credHelpers</c>, run as docker runs it: <c>get</c> with the server
/// URL on stdin, <c>{"ServerURL", "Username", "Secret"}</c> on stdout. The secret is never logged or put in a message.
/// </summary>
public sealed class DockerCredentialHelper
{
    public const string ProgramPrefix = "docker-credential-";

    /// <summary>A helper that unlocks a keychain may prompt; one that has not answered by then is stopped.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>What the helpers print (docker-credential-helpers' ErrCredentialsNotFound) when they hold nothing for the URL.</summary>
    public const string NotFoundMessage = "credentials not found in native keychain";

    /// <summary>The user name a helper stores for an identity (refresh) token, as docker login writes it.</summary>
    public const string IdentityTokenUser = "<token>";

    private const int MaximumOutputChars = 64 * 1024;

    // A program-name suffix only: the config is input, and a path here would run any program on the machine.
    private static readonly Regex NamePattern = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    public DockerCredentialHelper(string name, string configPath, TimeSpan? timeout = null)
    {
        ConfigPath = configPath ?? throw new ArgumentNullException(nameof(configPath));
        if (name == null || !NamePattern.IsMatch(name) || name.IndexOf("..", StringComparison.Ordinal) >= 0)
            throw new RegistryCredentialException(configPath, $"the credential helper name '{name}' is not a program name (letters, digits, '.', '_', '-')");
        Name = name;
        Timeout = timeout ?? DefaultTimeout;
    }

    public string Name { get; }

    public string Program => ProgramPrefix + Name;

    public string ConfigPath { get; }

    public TimeSpan Timeout { get; }

    /// <summary>
    /// The credential the helper holds for <paramref name="serverUrl"/> (the registry host as docker login stored it), or null
    /// when it holds none ("credentials not found": anonymous, as docker does).
    /// </summary>
    /// <exception cref="RegistryCredentialHelperException">the helper is not on PATH, fails, times out, or answers something that is not a credential.</exception>
    public RegistryCredential? Get(string serverUrl, CancellationToken cancellationToken = default)
    {
        if (serverUrl == null) throw new ArgumentNullException(nameof(serverUrl));
        var start = new ProcessStartInfo(Program, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception ex)
        {
            throw new RegistryCredentialHelperException(this, serverUrl, $"{Program} cannot be run ({ex.Message}); install it, or remove it from the Docker config", ex);
        }
        using (process)
        {
            Task<string> output = ReadCappedAsync(process.StandardOutput);
            Task<string> error = ReadCappedAsync(process.StandardError);
            try
            {
                process.StandardInput.Write(serverUrl);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The helper exited without reading: its exit code and output say why.
            }
            using (cancellationToken.Register(() => Stop(process)))
            {
                if (!process.WaitForExit((int)Math.Min(int.MaxValue, Timeout.TotalMilliseconds)))
                {
                    Stop(process);
                    throw new RegistryCredentialHelperException(this, serverUrl, $"{Program} did not answer within {Timeout.TotalSeconds:0} s (a keychain waiting to be unlocked?); it was stopped");
                }
                process.WaitForExit();
            }
            cancellationToken.ThrowIfCancellationRequested();
            string stdout = output.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
            {
                // Helpers print their error on stdout (docker-credential-helpers' client reads it there), some on stderr.
                string said = FirstLine(stdout.Trim().Length > 0 ? stdout : error.GetAwaiter().GetResult());
                if (string.Equals(said, NotFoundMessage, StringComparison.Ordinal)) return null;
                throw new RegistryCredentialHelperException(this, serverUrl, $"{Program} get failed (exit code {process.ExitCode}): {said}");
            }
            return Parse(stdout, serverUrl);
        }
    }

    /// <summary>
    /// The helper's answer as a credential; a Username of <c>&lt;token&gt;</c> marks the Secret as an identity token. An empty
    /// Secret is none (null): docker-credential-pass answers so, exit code 0, for a host it holds nothing for.
    /// </summary>
    /// <exception cref="RegistryCredentialHelperException">not JSON, or no Username and Secret.</exception>
    internal RegistryCredential? Parse(string output, string serverUrl)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(output, new JsonDocumentOptions { MaxDepth = 4 });
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("Username", out JsonElement user) && user.ValueKind == JsonValueKind.String
                && root.TryGetProperty("Secret", out JsonElement secret) && secret.ValueKind == JsonValueKind.String)
            {
                string value = secret.GetString()!;
                if (value.Length == 0) return null;
                string source = $"{Program} ({ConfigPath})";
                return user.GetString() == IdentityTokenUser
                    ? RegistryCredential.FromIdentityToken(value, source)
                    : new RegistryCredential(user.GetString()!, value, source);
            }
        }
        catch (JsonException ex)
        {
            throw new RegistryCredentialHelperException(this, serverUrl, $"{Program} get answered something that is not JSON ({ex.Message})", ex);
        }
        throw new RegistryCredentialHelperException(this, serverUrl, $"{Program} get answered no Username and Secret");
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        catch (Win32Exception)
        {
        }
    }

    private static async Task<string> ReadCappedAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        char[] buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
        {
            // Read to the end so the helper never blocks on a full pipe, but keep only the first 64 KiB.
            if (text.Length < MaximumOutputChars) text.Append(buffer, 0, Math.Min(read, MaximumOutputChars - text.Length));
        }
        return text.ToString();
    }

    private static string FirstLine(string text)
    {
        string line = text.Trim();
        int end = line.IndexOfAny(new[] { '\r', '\n' });
        if (end >= 0) line = line.Substring(0, end);
        line = new string(line.Where(c => !char.IsControl(c)).ToArray());
        return line.Length > 200 ? line.Substring(0, 200) + "…" : line.Length == 0 ? "(no message)" : line;
    }
}

/// <summary>A Docker credential helper that is missing, fails, times out or answers nonsense.</summary>
public sealed class RegistryCredentialHelperException : SecureInstallException
{
    internal RegistryCredentialHelperException(DockerCredentialHelper helper, string serverUrl, string reason, Exception? inner = null)
        : base($"The Docker credential helper '{helper.Name}' (named in {helper.ConfigPath}) gave no credentials for {serverUrl}: {reason}.",
               ErrorIds.RegistryCredentialHelperFailed, FailureKind.AuthenticationFailed, helper.Program, inner)
    {
        Helper = helper.Name;
    }

    public string Helper { get; }
}
