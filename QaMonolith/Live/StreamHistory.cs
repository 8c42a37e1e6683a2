using System.Text.Json;
using StackExchange.Redis;

namespace QaMonolith.Live;

/// <summary>What the stream still holds, and reading it back for a resume.</summary>
internal static class StreamHistory
{
    /// <param name="LastGenerated">The newest id the stream ever handed out.</param>
    /// <param name="MaxDeleted">The newest id trimming (or XDEL) removed; 0-0 when nothing was.</param>
    internal sealed record State(StreamId LastGenerated, StreamId MaxDeleted);

    /// <summary>XINFO STREAM; null when the stream does not exist (nothing was ever added, or Redis lost it).</summary>
    public static async Task<State?> InfoAsync(IDatabase db, RedisKey stream)
    {
        StreamInfo info;
        try
        {
            info = await db.StreamInfoAsync(stream);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return new State(StreamId.Parse(info.LastGeneratedId), StreamId.TryParse(info.MaxDeletedEntryId, out var deleted) ? deleted : StreamId.Zero);
    }

    /// <summary>
    /// Whether a client that has seen everything up to <paramref name="after"/> can be brought up to date from
    /// the stream: nothing after it was trimmed away, and the stream has not lost what it had (a token newer than
    /// anything the stream ever handed out means the stream was recreated).
    /// </summary>
    public static bool CanResume(State? state, StreamId after) =>
        state is null
            ? after == StreamId.Zero
            : after >= state.MaxDeleted && after <= state.LastGenerated;

    /// <summary>
    /// Calls <paramref name="send"/> for each event after <paramref name="after"/> up to and including
    /// <paramref name="upTo"/> whose topic <paramref name="wanted"/> accepts, in stream order, a page at a time.
    /// Returns the id of the last event sent, or <paramref name="after"/> if none was.
    /// </summary>
    public static async Task<StreamId> ReplayAsync(
        IDatabase db, RedisKey stream, StreamId after, StreamId upTo, int pageSize, Func<string, bool> wanted,
        Func<LiveEvent, Task> send, ILogger logger)
    {
        var sent = after;
        var from = after;
        while (from < upTo)
        {
            // "(" makes the start exclusive (Redis 6.2+): the page starts right after what the client has.
            var page = await db.StreamRangeAsync(stream, "(" + from, upTo.ToString(), pageSize);
            foreach (var entry in page)
            {
                from = StreamId.Parse(entry.Id);
                var e = ToEvent(from, entry["type"], entry["data"], logger);
                if (e is not null && wanted(e.Topic))
                {
                    await send(e);
                    sent = e.Id;
                }
            }

            if (page.Length < pageSize)
            {
                break;
            }
        }

        return sent;
    }

    /// <summary>The event of an entry; null (logged) for one Live does not forward or cannot read.</summary>
    public static LiveEvent? ToEvent(StreamId id, string? type, string? data, ILogger logger)
    {
        try
        {
            return LiveEvent.FromEntry(id, type, data);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // One bad entry must not stop the stream; the others still go out, this one is skipped for everyone.
            logger.LogWarning(ex, "Skipping stream entry {EntryId} of type {Type}: its data is not the contract's shape", id, type);
            return null;
        }
    }
}
