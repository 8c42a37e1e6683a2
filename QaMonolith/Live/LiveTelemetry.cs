using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace QaMonolith.Live;

/// <summary>
/// The Live counters for Prometheus: observable instruments over <see cref="LiveMetrics"/>'s interlocked fields,
/// read at scrape time, so the fan-out's hot path costs what it did (one interlocked add per frame).
/// </summary>
internal sealed class LiveTelemetry
{
    public const string Name = "QaMonolith.Live";

    /// <summary>Each event the reader fans out continues the trace of the code that wrote it.</summary>
    public static readonly ActivitySource Source = new(Name);

    public LiveTelemetry(IMeterFactory meters, LiveMetrics metrics)
    {
        var meter = meters.Create(Name);
        meter.CreateObservableUpDownCounter("qa.live.connections", () => metrics.Read(null, false).Connections, "{connection}", "Open WebSockets on /ws");
        meter.CreateObservableUpDownCounter("qa.live.subscriptions", () => metrics.Read(null, false).Subscriptions, "{subscription}", "Socket-topic pairs: a socket on three topics counts three");
        meter.CreateObservableCounter("qa.live.events.read", () => metrics.Read(null, false).EventsRead, "{event}", "Entries the reader took from qa:events, forwarded or not");
        meter.CreateObservableCounter("qa.live.events.delivered", () => metrics.Read(null, false).EventsDelivered, "{event}", "Event frames sent to sockets (one event to 1,000 sockets counts 1,000)");
        meter.CreateObservableCounter("qa.live.sockets.overflowed", () => metrics.Read(null, false).DroppedForOverflow, "{connection}", "Sockets closed with 1013 because their send queue overflowed");
        meter.CreateObservableCounter("qa.live.reader.failures", () => metrics.Read(null, false).ReaderFailures, "{failure}", "Failed reads of qa:events (Redis away); the reader retries");
        meter.CreateObservableGauge("qa.live.reader.lag", () => metrics.Read(null, false).ReaderLagMs / 1000.0, "s", "Age of the newest entry of the reader's last batch when it read it (XADD to read)");
    }
}

/// <summary>
/// The activities of one batch's fan-out, one per event that carries a trace. Made only when something listens
/// (<see cref="IfListened"/>), so the reader allocates nothing for tracing otherwise.
/// </summary>
internal sealed class DeliveryActivities : IDisposable
{
    private readonly List<Activity> _started = [];

    public static DeliveryActivities? IfListened() => LiveTelemetry.Source.HasListeners() ? new DeliveryActivities() : null;

    public void Start(string? traceparent, LiveEvent e)
    {
        if (traceparent is null)
        {
            return;
        }

        // Started side by side, not nested: the reader's own context stays current.
        var previous = Activity.Current;
        var activity = LiveTelemetry.Source.StartActivity("live.deliver", ActivityKind.Consumer, traceparent);
        Activity.Current = previous;
        if (activity is not null)
        {
            activity.SetTag("messaging.message.id", e.Id.ToString()).SetTag("qa.topic", e.Topic);
            _started.Add(activity);
        }
    }

    public void Dispose()
    {
        foreach (var activity in _started)
        {
            activity.Stop();
        }
    }
}
