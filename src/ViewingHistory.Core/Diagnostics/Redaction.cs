using System.Text.RegularExpressions;

namespace ViewingHistory.Core.Diagnostics;

/// <summary>
/// Takes secrets and engine details out of text that leaves the process: engine messages carry what the engine knows
/// (a NATS URL with its user and password, a connection string, file paths, hosts), and neither a log nor an HTTP
/// client needs all of it.
/// </summary>
public static partial class Redaction
{
    /// <summary>The mark that stands where a secret was.</summary>
    public const string Mask = "***";

    /// <summary>
    /// For logs: masks the password (or the token) in URL user info (<c>nats://user:***@host</c>) and the value of
    /// <c>Password=</c> / <c>Pwd=</c> in connection strings. Paths and hosts stay: an operator needs them.
    /// </summary>
    public static string Secrets(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        text = UserInfo().Replace(text, m => m.Groups["password"].Success
            ? $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@"
            : $"{m.Groups["scheme"].Value}{Mask}@");
        return PasswordSetting().Replace(text, m => m.Groups["key"].Value + Mask);
    }

    /// <summary>
    /// For HTTP answers (a dead letter's reason): <see cref="Secrets"/>, then URLs, file paths and hosts (names or
    /// addresses with a port, IP addresses, <c>Host=</c> settings) replaced by placeholders. What is left says what
    /// failed without saying where the engines live.
    /// </summary>
    public static string ForClients(string? text)
    {
        text = Secrets(text);
        text = Url().Replace(text, "<url>");
        text = HostSetting().Replace(text, m => m.Groups["key"].Value + "<host>");
        text = FilePath().Replace(text, "<path>");
        text = IpAddress().Replace(text, "<host>");
        return HostAndPort().Replace(text, "<host>");
    }

    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^\s:@/?#]+)(?::(?<password>[^\s@/?#]*))?@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"(?<key>\b(?:password|pwd)\s*=\s*)(?:""(?:[^""]|"""")*""|'[^']*'|[^;\s]*)", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordSetting();

    [GeneratedRegex(@"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'""<>]+")]
    private static partial Regex Url();

    [GeneratedRegex(@"(?<key>\b(?:host|server|data source|datasource|address)\s*=\s*)[^;\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex HostSetting();

    [GeneratedRegex(@"(?<![\w.<>])(?:[A-Za-z]:\\|\\\\)[^\s'""]+|(?<![\w.<>:])(?:/[^\s/'""():;,]+){2,}/?")]
    private static partial Regex FilePath();

    [GeneratedRegex(@"\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\](?::\d{1,5})?|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b")]
    private static partial Regex IpAddress();

    [GeneratedRegex(@"\b[A-Za-z][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*:\d{2,5}\b")]
    private static partial Regex HostAndPort();
}
