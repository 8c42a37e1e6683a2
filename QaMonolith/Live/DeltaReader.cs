using Microsoft.Extensions.Options;
using QaMonolith.Shared.Redis;
using StackExchange.Redis;

namespace QaMonolith.Live;

/// <summary>
/// Reads answer.delta from <c>qa:live</c> and hands them to the hub for <c>question:{id}</c> sockets. Plain XREAD BLOCK
/// on a multiplexer of its own (see <see cref="EventReader"/> for why), starting after the newest entry: deltas are
/// for whoever watches now, so nothing older is ever read, and after an outage it starts again from the newest
/// rather than catching up on text that the saved answers have overtaken.
/// </summary>
/// <remarks>
/// The two streams are read apart, so a slot's last delta could reach a socket after its answer.created; before the
/// event reader hands on a saved answer it calls <see cref="CatchUpAsync"/>, which reads what qa:live holds by then
/// (the writer sent the last delta before it saved) on the shared connection. Both readers deliver through one gate
/// that remembers the newest delta handed on, so none goes out twice or out of order.
/// </remarks>
internal sealed class DeltaReader(
    IConfiguration configuration,
    IConnectionMultiplexer shared,
    RedisKeys keys,
    LiveHub hub,
    LiveMetrics metrics,
    IOptions<LiveOptions> options,
    ILogger<DeltaReader> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private ConnectionMultiplexer? _redis;
    private StreamId? _delivered;

    /// <summary>Hands on every delta qa:live holds now; best effort (deltas are a courtesy), never throws.</summary>
    public async Task CatchUpAsync()
    {
        StreamId from;
        lock (_gate)
        {
            if (_delivered is not { } delivered)
            {
                return;
            }

            from = delivered;
        }

        try
        {
            var entries = await shared.GetDatabase().StreamReadAsync(keys.Live, from.ToString(), options.Value.ReadBatchSize);
            Deliver([.. entries.Select(e => new StreamEntryFields(StreamId.Parse(e.Id), e["type"], e["data"], null))]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogDebug(ex, "Could not catch up on {Stream} before a saved answer", keys.Live);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _redis = await RedisConnection.ConnectBlockingAsync(configuration, "live-deltas", settings.ReadBlock);
        var db = _redis.GetDatabase();
        StreamId? position = null;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (position is null)
                {
                    position = await NewestAsync(db);
                    lock (_gate)
                    {
                        _delivered = position;
                    }
                }

                position = await ReadBatchAsync(db, position.Value, settings, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                position = null;
                lock (_gate)
                {
                    _delivered = null;
                }

                if (failures++ == 0)
                {
                    logger.LogWarning(ex, "Live cannot read {Stream}; answers still arrive when saved, only their progress is not shown", keys.Live);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(failures, 5)), 2_000)), stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        _redis?.Dispose();
        base.Dispose();
    }

    /// <summary>The id XREAD's <c>$</c> would mean now, but known, so no entry falls between two reads.</summary>
    private async Task<StreamId> NewestAsync(IDatabase db)
    {
        var newest = await db.StreamRangeAsync(keys.Live, "-", "+", count: 1, messageOrder: Order.Descending);
        return newest is [var entry] ? StreamId.Parse(entry.Id) : StreamId.Zero;
    }

    private async Task<StreamId> ReadBatchAsync(IDatabase db, StreamId position, LiveOptions settings, CancellationToken cancellationToken)
    {
        var entries = await StreamReply.ReadAsync(db, keys.Live, position, settings, cancellationToken);
        if (entries.Length == 0)
        {
            return position;
        }

        Deliver(entries);
        return entries[^1].Id;
    }

    private void Deliver(StreamEntryFields[] entries)
    {
        lock (_gate)
        {
            if (_delivered is not { } delivered)
            {
                return;
            }

            var fresh = entries.Where(e => e.Id > delivered).ToArray();
            if (fresh.Length == 0)
            {
                return;
            }

            // Only deltas belong here; anything durable goes through qa:events and its resumable history.
            metrics.DeltasRead(fresh.Length);
            hub.PublishEphemeral(StreamHistory.ToEvents(fresh, logger).Where(e => !e.Durable).ToList());
            _delivered = fresh[^1].Id;
        }
    }
}
