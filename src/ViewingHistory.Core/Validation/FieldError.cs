namespace ViewingHistory.Core.Validation;

/// <summary>One broken rule of one event: <paramref name="Field"/> is the contract's field name, or "" for the element itself.</summary>
public sealed record FieldError(int Index, string Field, string Message);
