using QaMonolith.Shared.Telemetry;

namespace QaMonolith.Live;

internal static class LiveModule
{
    public static void AddLiveModule(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LiveOptions>().BindConfiguration(LiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LiveMetrics>();
        services.AddMetricsSource<LiveTelemetry>(LiveTelemetry.Name);
        services.AddSingleton<LiveHub>();
        services.AddSingleton<LiveSession>();
        services.AddSingleton<EventReader>();
        services.AddHostedService(sp => sp.GetRequiredService<EventReader>());
        services.AddSingleton<DeltaReader>();
        services.AddHostedService(sp => sp.GetRequiredService<DeltaReader>());
    }

    public static void MapLiveModule(this WebApplication app)
    {
        // Open sockets would hold shutdown for the host's whole timeout; closing them with 1001 as soon as the
        // host starts stopping lets each session finish its close handshake within Live:CloseTimeout.
        var hub = app.Services.GetRequiredService<LiveHub>();
        app.Lifetime.ApplicationStopping.Register(hub.CloseAll);
        // Keepalive is set per socket in the accept context, from LiveOptions.
        app.UseWebSockets();
        app.MapLive();
    }
}
