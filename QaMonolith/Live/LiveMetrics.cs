namespace QaMonolith.Live;

/// <summary>
/// Counters an operator reads at <c>GET /live/metrics</c>. Plain interlocked fields: the hot path (one
/// increment per frame sent) must cost next to nothing, and a metrics exporter can read the same fields later.
/// </summary>
internal sealed class LiveMetrics
{
    private long _connections;
    private long _subscriptions;
    private long _eventsRead;
    private long _eventsDelivered;
    private long _droppedOverflow;
    private long _readerLagMs;
    private long _readerFailures;
    private long _deltasRead;
    private long _deltasDropped;

    public void Connected() => Interlocked.Increment(ref _connections);

    public void Disconnected() => Interlocked.Decrement(ref _connections);

    public void Subscribed(int count) => Interlocked.Add(ref _subscriptions, count);

    public void Read(int count, long lagMs)
    {
        Interlocked.Add(ref _eventsRead, count);
        Interlocked.Exchange(ref _readerLagMs, lagMs);
    }

    public void Delivered() => Interlocked.Increment(ref _eventsDelivered);

    public void DroppedForOverflow() => Interlocked.Increment(ref _droppedOverflow);

    public void ReaderFailed() => Interlocked.Increment(ref _readerFailures);

    public void DeltasRead(int count) => Interlocked.Add(ref _deltasRead, count);

    public void DeltasDropped(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _deltasDropped, count);
        }
    }

    public Snapshot Read(string? readerPosition, bool readerConnected) => new(
        Interlocked.Read(ref _connections),
        Interlocked.Read(ref _subscriptions),
        Interlocked.Read(ref _eventsRead),
        Interlocked.Read(ref _eventsDelivered),
        Interlocked.Read(ref _droppedOverflow),
        Interlocked.Read(ref _readerLagMs),
        Interlocked.Read(ref _readerFailures),
        readerPosition,
        readerConnected,
        Interlocked.Read(ref _deltasRead),
        Interlocked.Read(ref _deltasDropped));

    /// <param name="Subscriptions">Socket-topic pairs: a socket on three topics counts three.</param>
    /// <param name="EventsRead">Entries the reader took from the stream, forwarded or not.</param>
    /// <param name="EventsDelivered">Event frames sent to sockets (one event to 1,000 sockets counts 1,000).</param>
    /// <param name="DeltasRead">answer.delta entries read from <c>qa:live</c>.</param>
    /// <param name="DeltasDropped">Deltas not queued to a socket because its queue was half full (the socket stays open).</param>
    /// <param name="ReaderLagMs">Age of the newest entry of the reader's last batch when it read it (XADD to read).</param>
    internal sealed record Snapshot(
        long Connections,
        long Subscriptions,
        long EventsRead,
        long EventsDelivered,
        long DroppedForOverflow,
        long ReaderLagMs,
        long ReaderFailures,
        string? ReaderPosition,
        bool ReaderConnected,
        long DeltasRead,
        long DeltasDropped);
}
