namespace ViewingHistory.Core.Events;

/// <summary>What the device reported. The type does not change the history; it is kept for the archive.</summary>
public enum PlaybackEventType : byte
{
    Start = 0,
    Progress = 1,
    Pause = 2,
    Resume = 3,
    Stop = 4,
}
