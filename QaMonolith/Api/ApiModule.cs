using QaMonolith.Shared.Telemetry;

namespace QaMonolith.Api;

internal static class ApiModule
{
    public static void AddApiModule(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PageCache>();
        services.AddHostedService(sp => sp.GetRequiredService<PageCache>());
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<PostWriter>();
        services.AddSingleton<ReaderVotes>();
        services.AddMetricsSource<ApiMetrics>(ApiMetrics.MeterName);
        services.AddOpenApi(options => options.AddOperationTransformer(OpenApiInputs.DescribeAsync));
    }

    public static void MapApiModule(this WebApplication app)
    {
        app.MapOpenApi();
        var api = app.MapGroup("/api");
        api.MapCourses();
        api.MapQuestions();
        api.MapAnswers();
        api.MapVotes();
    }
}
