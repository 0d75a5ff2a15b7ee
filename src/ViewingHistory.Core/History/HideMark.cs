namespace ViewingHistory.Core.History;

/// <summary>A hide request accepted at server time <paramref name="AtMs"/>; <paramref name="TitleId"/> null hides every title of the member.</summary>
public sealed record HideMark(string MemberId, string? TitleId, long AtMs);
