using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace QaMonolith.Shared.Telemetry;

/// <summary>
/// The shared Redis connection as StackExchange.Redis counts it (it has no meter of its own). Everything is read
/// from the multiplexer's own counters at scrape time, so no Redis command costs anything extra.
/// </summary>
internal sealed class RedisMetrics
{
    private long _failures;

    public RedisMetrics(IMeterFactory meters, IConnectionMultiplexer redis)
    {
        var meter = meters.Create(TelemetryModule.SharedMeter);
        meter.CreateObservableCounter("qa.redis.operations", () => redis.OperationCount, "{operation}",
            "Commands this process sent on its shared Redis connection");
        meter.CreateObservableGauge("qa.redis.outstanding", () => redis.GetCounters().TotalOutstanding, "{operation}",
            "Commands on the shared Redis connection sent or queued and not yet answered");
        meter.CreateObservableGauge("qa.redis.connected", () => redis.IsConnected ? 1 : 0, "{connection}",
            "1 while the shared Redis connection is up, 0 while it is down");
        // Observable, so it is exported from 0 on and increase() sees the first loss; the log says what kind it was.
        meter.CreateObservableCounter("qa.redis.connection.failures", () => Volatile.Read(ref _failures), "{failure}",
            "Times the shared Redis connection was lost");
        redis.ConnectionFailed += (_, _) => Interlocked.Increment(ref _failures);
    }
}
