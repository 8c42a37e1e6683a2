using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using QaMonolith.Shared.Outbox;

namespace QaMonolith.Shared.Telemetry;

/// <summary>
/// Metrics for Prometheus at <c>/metrics</c> in every process, whatever modules it runs (like <c>/health/*</c>);
/// traces only when an OTLP endpoint is configured; JSON console logs in Production. Each module adds its own
/// instruments through <see cref="AddMetricsSource{T}"/> when it is enabled, so a disabled module registers none.
/// </summary>
internal static class TelemetryModule
{
    public const string MetricsPath = "/metrics";

    /// <summary>Every ActivitySource and Meter of the project is named so; one wildcard subscribes them all.</summary>
    public const string Prefix = "QaMonolith.";

    public const string SharedMeter = Prefix + "Shared";

    public static void AddTelemetry(this IHostApplicationBuilder builder, ModulesOptions modules)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(options => options.GaugeInterval > TimeSpan.Zero, "Telemetry:GaugeInterval must be positive").ValidateOnStart();

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                // OTEL_SERVICE_NAME still names it; the instance is the pod or host, so series of replicas stay apart.
                .AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "qamonolith", serviceInstanceId: Environment.MachineName)
                .AddAttributes([new("qa.modules", string.Join(",", modules.Enabled()))]))
            .WithMetrics(metrics => metrics
                // Hosting gives http.server.request.duration (count and latency by route and status), Kestrel the
                // connections. Not AddAspNetCoreInstrumentation: it also turns on the routing and diagnostics meters,
                // whose per-request measurements cost the hot path and say little an operator needs.
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                // Two more recordings per request for a number that rate × latency gives too (Little's law); dropped
                // by every reader, the instrument stays disabled and ASP.NET Core skips it.
                .AddView("http.server.active_requests", MetricStreamConfiguration.Drop)
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());
        services.AddMetricsSource<RedisMetrics>(SharedMeter);
        if (modules.Api || modules.Answers)
        {
            // Where the relay runs, so where its rows are written.
            services.AddMetricsSource<OutboxMetrics>(SharedMeter);
            services.AddPolledGauge<OutboxMetrics>();
        }

        services.AddHostedService<GaugePoller>();

        // Tracing costs nothing unless something exports it: without an endpoint no TracerProvider listens, the
        // modules' ActivitySources have no listener and StartActivity returns null.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(Prefix + "*")
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsScrapeOrProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddRedisInstrumentation()
                .AddOtlpExporter());
        }

        if (builder.Environment.IsProduction())
        {
            // One JSON object a line for a log collector, with the request's TraceId and SpanId among its scopes.
            // Logging:Console:FormatterName still wins when set (runs after the configuration binding).
            services.Configure<ConsoleLoggerOptions>(options => options.FormatterName ??= ConsoleFormatterNames.Json);
            services.Configure<JsonConsoleFormatterOptions>(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat ??= "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
    }

    public static void MapTelemetry(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath);

    /// <summary>
    /// Registers a module's instruments: <typeparamref name="T"/> is created when the meter provider starts, so its
    /// observable instruments exist from the first scrape on.
    /// </summary>
    public static IServiceCollection AddMetricsSource<T>(this IServiceCollection services, string meterName) where T : class
    {
        services.AddSingleton<T>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(meterName).AddInstrumentation(sp => sp.GetRequiredService<T>()));
        return services;
    }

    /// <summary>A source whose values are read from Redis or Postgres by <see cref="GaugePoller"/>, never on a scrape.</summary>
    public static IServiceCollection AddPolledGauge<T>(this IServiceCollection services) where T : class, IPolledGauge =>
        services.AddSingleton<IPolledGauge>(sp => sp.GetRequiredService<T>());

    private static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments(MetricsPath, StringComparison.Ordinal) || path.StartsWithSegments("/health", StringComparison.Ordinal);
}
