using Microsoft.Extensions.Options;
using QaMonolith.Shared.Redis;
using QaMonolith.Shared.Telemetry;
using StackExchange.Redis;

namespace QaMonolith.Live;

/// <summary>
/// The one reader of <c>qa:events</c> in this process: plain XREAD from the last id it dispatched, so every Live
/// instance sees every event. XREAD BLOCK wakes it as soon as an entry lands, on a multiplexer of its own: on the
/// shared one a blocking command would stall every other command behind it, and StackExchange.Redis has no BLOCK
/// of its own, hence <c>ExecuteAsync</c>. The multiplexer reconnects by itself after an outage; the loop then
/// checks the stream is still the one it was reading and continues from the id it had.
/// </summary>
internal sealed class EventReader(
    IConfiguration configuration,
    RedisKeys keys,
    LiveHub hub,
    DeltaReader deltas,
    LiveMetrics metrics,
    IOptions<LiveOptions> options,
    TimeProvider time,
    ILogger<EventReader> logger) : BackgroundService
{
    private ConnectionMultiplexer? _redis;

    public bool IsConnected => _redis?.IsConnected ?? false;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        _redis = await ConnectAsync(settings);
        var db = _redis.GetDatabase();
        StreamId? position = null;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (position is null || failures > 0)
                {
                    position = await SyncAsync(db, position);
                }

                position = await ReadBatchAsync(db, position.Value, settings, stoppingToken);
                if (failures > 0)
                {
                    logger.LogInformation("Live reader recovered after {Failures} failed attempts; continuing from {Position}", failures, position);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                metrics.ReaderFailed();
                if (failures++ == 0)
                {
                    logger.LogWarning(ex, "Live reader cannot read {Stream}; retrying from {Position} with back-off", keys.Events, position);
                }

                await Task.Delay(Backoff(failures), stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        _redis?.Dispose();
        base.Dispose();
    }

    private Task<ConnectionMultiplexer> ConnectAsync(LiveOptions settings) =>
        RedisConnection.ConnectBlockingAsync(configuration, "live-reader", settings.ReadBlock);

    /// <summary>
    /// Where to read from: at the first start, the stream's newest id (what came before is history for resumes);
    /// after an outage, the id we had, unless the stream is gone or went backwards (Redis lost it), in which case
    /// from its beginning, so nothing it now holds is skipped.
    /// </summary>
    private async Task<StreamId> SyncAsync(IDatabase db, StreamId? position)
    {
        var last = (await StreamHistory.InfoAsync(db, keys.Events))?.LastGenerated;
        StreamId next;
        if (position is not { } current)
        {
            next = last ?? StreamId.Zero;
            hub.Start(next);
        }
        else if (last is null || last < current)
        {
            logger.LogWarning("Stream {Stream} was lost or recreated (newest id {Last}, ours {Position}); reading it from the start", keys.Events, last, current);
            next = StreamId.Zero;
        }
        else
        {
            next = current;
        }

        return next;
    }

    private async Task<StreamId> ReadBatchAsync(IDatabase db, StreamId position, LiveOptions settings, CancellationToken cancellationToken)
    {
        var entries = await StreamReply.ReadAsync(db, keys.Events, position, settings, cancellationToken);
        if (entries.Length == 0)
        {
            return position;
        }

        var events = new List<LiveEvent>(entries.Length);
        using var traced = DeliveryActivities.IfListened();
        foreach (var entry in entries)
        {
            if (StreamHistory.ToEvent(entry.Id, entry.Type, entry.Data, logger) is { } e)
            {
                events.Add(e);
                traced?.Start(entry.TraceParent, e);
            }
        }

        var last = entries[^1].Id;
        var lagMs = Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - (long)last.Milliseconds);
        metrics.Read(entries.Length, lagMs);
        if (events.Exists(e => e.Slot is not null))
        {
            // A model answer's last delta was sent before it was saved: let it out first.
            await deltas.CatchUpAsync();
        }

        hub.Publish(events, entries[0].Id, last);
        return last;
    }

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(failures - 1, 5)), 2_000) * (0.8 + (0.4 * Random.Shared.NextDouble())));
}
