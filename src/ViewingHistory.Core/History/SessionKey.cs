namespace ViewingHistory.Core.History;

/// <summary>A session: one playback of one title by one member.</summary>
public readonly record struct SessionKey(string MemberId, string TitleId, string SessionId)
{
    public ItemKey Item => new(MemberId, TitleId);
}
