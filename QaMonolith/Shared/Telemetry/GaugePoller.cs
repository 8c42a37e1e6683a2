using Microsoft.Extensions.Options;

namespace QaMonolith.Shared.Telemetry;

/// <summary>A set of gauges whose values cost a query; <see cref="GaugePoller"/> refreshes them on a timer.</summary>
internal interface IPolledGauge
{
    /// <summary>Reads the current values. Throws when the server is away; the poller then marks them unknown.</summary>
    Task RefreshAsync(CancellationToken cancellationToken);

    /// <summary>Forgets the last reading: a value from before an outage is not reported as current.</summary>
    void MarkUnknown();
}

/// <summary>
/// Refreshes every registered <see cref="IPolledGauge"/> each <c>Telemetry:GaugeInterval</c>. Observable
/// instruments are read synchronously during a scrape, so their callbacks return the last reading instead of
/// querying: a scrape costs no round trip and cannot hang on a server that is down.
/// </summary>
internal sealed class GaugePoller(IEnumerable<IPolledGauge> gauges, IOptions<TelemetryOptions> options, ILogger<GaugePoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var all = gauges.ToArray();
        if (all.Length == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.GaugeInterval);
        var failing = new bool[all.Length];
        do
        {
            for (var i = 0; i < all.Length; i++)
            {
                try
                {
                    await all[i].RefreshAsync(stoppingToken);
                    failing[i] = false;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    all[i].MarkUnknown();
                    if (!failing[i])
                    {
                        // Once per outage: the health checks and the modules already say what is down.
                        logger.LogDebug(ex, "Could not read the gauges of {Gauges}; reporting them unknown until they can be read", all[i].GetType().Name);
                        failing[i] = true;
                    }
                }
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
