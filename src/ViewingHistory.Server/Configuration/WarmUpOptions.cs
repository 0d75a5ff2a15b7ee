using System.ComponentModel.DataAnnotations;

namespace ViewingHistory.Server.Configuration;

/// <summary>
/// The <c>WarmUp</c> section: the start's warm-up (<see cref="Hosting.StartWarmUp"/>), which runs the service's own code
/// on a scratch copy of itself until the JIT has compiled it, before this process opens its port.
/// </summary>
internal sealed record WarmUpOptions
{
    public const string Section = "WarmUp";

    /// <summary>Whether the start warms up at all. Default on: a process added by an autoscaler takes a burst at once.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// The longest the warm-up runs, whether or not the JIT has gone quiet (it does after ~25 s on 2 cores). Default 45 s:
    /// the manifests' startup probe gives a start 120 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Reads and checks the section; an invalid value is a start failure, as every other setting's.</summary>
    /// <exception cref="InvalidOperationException">A value out of range or that does not convert.</exception>
    public static WarmUpOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<WarmUpOptions>() ?? new WarmUpOptions();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true))
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join("; ", errors.Select(e => $"{Section}:{string.Join(",", e.MemberNames)}: {e.ErrorMessage}")));
        }

        return options;
    }
}
