namespace ViewingHistory.Core.History;

/// <summary>
/// Which list a cursor pages through. The scope is the cursor's first byte, under its checksum, so a cursor issued by
/// one list is refused by the other (CONTRACT.md, "Continue watching and conditional reads").
/// </summary>
public enum CursorScope : byte
{
    /// <summary><c>GET .../history</c>; the byte every cursor issued before continue-watching carries.</summary>
    History = 1,

    /// <summary><c>GET .../continue-watching</c>.</summary>
    ContinueWatching = 2,
}
