using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenAI;
using OpenAI.Chat;
using QaMonolith.Shared.Telemetry;

namespace QaMonolith.Answers;

internal static class AnswersModule
{
    /// <summary>The worker that answers every question with <c>Llm:Provider</c>'s writer, and the sweep behind it.</summary>
    public static void AddAnswersModule(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LlmOptions>().BindConfiguration(LlmOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AnswersOptions>().BindConfiguration(AnswersOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(CreateWriter);
        services.AddSingleton<QuestionStream>();
        services.AddSingleton<BlockingReader>();
        services.AddSingleton<ConsumerName>();
        services.AddSingleton<QuestionAnswerer>();
        services.AddSingleton<DeliveryHandler>();
        services.AddHostedService<AnswersWorker>();
        services.AddHostedService<AnswerSweeper>();
        services.AddMetricsSource<AnswersMetrics>(AnswersMetrics.Name).AddPolledGauge<AnswersMetrics>();
    }

    internal static IAnswerWriter CreateWriter(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<LlmOptions>>().Value;
        if (options.Provider == LlmProvider.Offline)
        {
            return new OfflineAnswerWriter(services.GetRequiredService<NpgsqlDataSource>(), options);
        }

        // Polly owns time-outs and retries: the client itself never gives up first and never retries on its own.
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        var pipeline = ModelPipeline.Build(options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("QaMonolith.Answers.Model"));
        IChatClient chat = options.Provider switch
        {
            LlmProvider.OpenAI => new ChatClient(
                options.Model,
                new System.ClientModel.ApiKeyCredential(string.IsNullOrEmpty(options.ApiKey) ? "unused" : options.ApiKey),
                new OpenAIClientOptions
                {
                    Endpoint = options.Endpoint,
                    Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http),
                    RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
                    NetworkTimeout = options.Timeout + TimeSpan.FromSeconds(10),
                }).AsIChatClient(),
            _ => new LlmApiChatClient(http, options.Endpoint!, string.IsNullOrWhiteSpace(options.Model) ? "llm-api" : options.Model),
        };
        // Metered inside the pipeline, so each attempt counts; a writer built outside the host (a unit test) is not.
        return new ChatAnswerWriter(services.GetService<AnswersMetrics>() is { } metrics ? new MeteredChatClient(chat, metrics) : chat, pipeline, options);
    }
}
