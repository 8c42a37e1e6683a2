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
internal sealed class DeltaReader(
    IConfiguration configuration,
    RedisKeys keys,
    LiveHub hub,
    LiveMetrics metrics,
    IOptions<LiveOptions> options,
    ILogger<DeltaReader> logger) : BackgroundService
{
    private ConnectionMultiplexer? _redis;

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
                position ??= await NewestAsync(db);
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

        // Only deltas belong here; anything durable goes through qa:events and its resumable history.
        var deltas = StreamHistory.ToEvents(entries, logger).Where(e => !e.Durable).ToList();
        metrics.DeltasRead(entries.Length);
        hub.PublishEphemeral(deltas);
        return entries[^1].Id;
    }
}
