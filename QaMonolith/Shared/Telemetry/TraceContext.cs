using System.Diagnostics;

namespace QaMonolith.Shared.Telemetry;

/// <summary>
/// W3C trace context carried through the streams: an outbox row stores the <c>traceparent</c> of the code that
/// wrote it, the relay copies it into the stream entry, and a consumer continues the trace from there, so one
/// question's path from the POST to the sockets is one trace.
/// </summary>
internal static class TraceContext
{
    /// <summary>The stream entry's field (added beside type, data and outboxId).</summary>
    public const string Field = "traceparent";

    /// <summary>The current activity as a traceparent, or null outside any.</summary>
    public static string? Current() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;

    /// <summary>
    /// Starts the consumer's activity as a child of <paramref name="traceparent"/>. When nothing listens to
    /// <paramref name="source"/>, a bare activity (recorded by no one, as ASP.NET Core does for a request) still
    /// carries the trace on, so what the consumer writes to the outbox continues it for the next process.
    /// </summary>
    public static Activity? StartConsumer(ActivitySource source, string name, string? traceparent)
    {
        var activity = source.StartActivity(name, ActivityKind.Consumer, traceparent);
        if (activity is null && traceparent is not null && ActivityContext.TryParse(traceparent, null, out _))
        {
            activity = new Activity(name).SetParentId(traceparent).Start();
        }

        return activity;
    }
}
