using Microsoft.Extensions.Options;

namespace ViewingHistory.Queue.JetStream;

/// <summary>Checks at start what <see cref="JetStreamQueueOptions.Validate"/> checks, so a contradiction fails the start with its reason.</summary>
internal sealed class JetStreamQueueOptionsValidator : IValidateOptions<JetStreamQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, JetStreamQueueOptions options) =>
        options.FindProblem() is { } problem ? ValidateOptionsResult.Fail("Queue: " + problem) : ValidateOptionsResult.Success;
}
