namespace ViewingHistory.Queue.Embedded;

/// <summary>One record of the dead-letter file as read at open: an add (with its slot) or a removal of <paramref name="Id"/>.</summary>
internal readonly record struct IndexedRecord(byte Kind, string Id, DeadLetterSlot Slot);
