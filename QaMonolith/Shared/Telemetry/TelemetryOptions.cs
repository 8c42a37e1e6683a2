namespace QaMonolith.Shared.Telemetry;

internal sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// How often the gauges that need a query (outbox rows pending, the consumer group's lag) are read. A scrape
    /// only ever returns the last reading, so scraping never touches Postgres or Redis.
    /// </summary>
    public TimeSpan GaugeInterval { get; set; } = TimeSpan.FromSeconds(5);
}
