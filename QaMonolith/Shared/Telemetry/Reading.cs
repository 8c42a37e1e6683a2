using System.Diagnostics.Metrics;

namespace QaMonolith.Shared.Telemetry;

/// <summary>
/// The last value a poller read, for an observable gauge to report; nothing at all while unknown (never read, or
/// the server was away at the last try), so a dashboard shows a gap rather than a stale number.
/// </summary>
internal sealed class Reading<T>(params KeyValuePair<string, object?>[] tags) where T : struct
{
    private Measurement<T>[] _current = [];

    public void Set(T value) => Volatile.Write(ref _current, [new Measurement<T>(value, tags)]);

    public void Clear() => Volatile.Write(ref _current, []);

    public IEnumerable<Measurement<T>> Observe() => Volatile.Read(ref _current);
}
