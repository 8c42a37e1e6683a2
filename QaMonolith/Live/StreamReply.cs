using StackExchange.Redis;

namespace QaMonolith.Live;

/// <summary>One entry of an XREAD reply: its id and the two fields every entry of our streams has.</summary>
internal readonly record struct StreamEntryFields(StreamId Id, string? Type, string? Data, string? TraceParent);

internal static class StreamReply
{
    /// <summary>
    /// XREAD BLOCK of one stream after <paramref name="after"/>, on a connection reserved for blocking (its timeouts
    /// outlast the block); empty when the block ran out.
    /// </summary>
    public static async Task<StreamEntryFields[]> ReadAsync(IDatabase db, RedisKey stream, StreamId after, LiveOptions settings, CancellationToken cancellationToken) =>
        Entries(await db.ExecuteAsync("XREAD",
            "COUNT", settings.ReadBatchSize,
            "BLOCK", (long)settings.ReadBlock.TotalMilliseconds,
            "STREAMS", stream, after.ToString()).WaitAsync(cancellationToken));

    /// <summary>
    /// The entries of a RESP2 XREAD reply for one stream, <c>[[stream, [[id, [field, value, ...]], ...]]]</c>; empty
    /// when the block ran out.
    /// </summary>
    public static StreamEntryFields[] Entries(RedisResult reply)
    {
        if (reply.IsNull)
        {
            return [];
        }

        var entries = (RedisResult[])((RedisResult[])reply!)[0]![1]!;
        var result = new StreamEntryFields[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var fields = (RedisValue[])entries[i][1]!;
            result[i] = new StreamEntryFields(StreamId.Parse((string?)entries[i][0]), Field(fields, "type"), Field(fields, "data"), Field(fields, Shared.Telemetry.TraceContext.Field));
        }

        return result;
    }

    private static string? Field(RedisValue[] fields, string name)
    {
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (fields[i] == name)
            {
                return fields[i + 1];
            }
        }

        return null;
    }
}
