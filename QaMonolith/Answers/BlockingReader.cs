using System.Globalization;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// Waits for new entries with <c>XREADGROUP ... BLOCK</c>, so the worker wakes within a millisecond of an XADD.
/// StackExchange.Redis has no BLOCK because a blocked command stalls every command behind it on the same
/// connection; this reader therefore has a multiplexer of its own, with timeouts above the BLOCK time, and no one
/// else uses it.
/// </summary>
internal sealed class BlockingReader(IConfiguration configuration) : IAsyncDisposable
{
    private ConnectionMultiplexer? _connection;

    public async Task<IReadOnlyList<Delivery>> ReadNewAsync(RedisKey key, string consumer, int count, TimeSpan block)
    {
        var connection = await ConnectAsync(block);
        var db = connection.GetDatabase();
        var result = await db.ExecuteAsync("XREADGROUP",
            "GROUP", QuestionStream.Group, consumer,
            "COUNT", count.ToString(CultureInfo.InvariantCulture),
            "BLOCK", ((long)block.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "STREAMS", key, ">");
        return Parse(result);
    }

    /// <summary>
    /// Ends a read that is blocked right now by closing the connection: Redis drops the blocked client at once.
    /// Entries it had handed over just then are in this consumer's pending list, and the next start drains them.
    /// (CLIENT UNBLOCK would need admin mode on a shared connection.)
    /// </summary>
    public async Task UnblockAsync()
    {
        if (_connection is not null)
        {
            await _connection.CloseAsync(allowCommandsToComplete: false);
        }
    }

    // RESP2 on purpose: the reply is [[stream, [[id, [field, value, ...]], ...]]], the same on every server version.
    private static Delivery[] Parse(RedisResult result)
    {
        if (result.IsNull || result.Length == 0)
        {
            return [];
        }

        var entries = result[0][1];
        var deliveries = new Delivery[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var fields = entries[i][1];
            var values = new NameValueEntry[fields.IsNull ? 0 : fields.Length / 2];
            for (var f = 0; f < values.Length; f++)
            {
                values[f] = new NameValueEntry((RedisValue)fields[2 * f], (RedisValue)fields[(2 * f) + 1]);
            }

            deliveries[i] = new Delivery((RedisValue)entries[i][0], values, Deliveries: 1);
        }

        return deliveries;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(TimeSpan block)
    {
        if (_connection is not null)
        {
            return _connection;
        }

        return _connection = await RedisConnection.ConnectBlockingAsync(configuration, "answers-reader", block);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
