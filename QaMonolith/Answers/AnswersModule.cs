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
        services.AddSingleton<AnswerDeltas>();
        // Only resolved for Llm:Provider=Local, when the writer is made at start: a bad file stops the start.
        services.AddSingleton(sp => LocalModel.Load(
            sp.GetRequiredService<IOptions<LlmOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger("QaMonolith.Answers.LocalModel")));
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

        var pipeline = ModelPipeline.Build(options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("QaMonolith.Answers.Model"));
        // Streaming providers publish the text so far; a container without the module's services (a unit test) skips it.
        var deltas = services.GetService<AnswerDeltas>();
        if (options.Provider == LlmProvider.Local)
        {
            return new ChatAnswerWriter(Metered(services, new LocalChatClient(services.GetRequiredService<LocalModel>())), pipeline, options, deltas, maxCalls: options.MaxConcurrency);
        }

        // Polly owns time-outs and retries: the client itself never gives up first and never retries on its own.
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
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
        return new ChatAnswerWriter(Metered(services, chat), pipeline, options, options.Provider == LlmProvider.OpenAI ? deltas : null);
    }

    private static IChatClient Metered(IServiceProvider services, IChatClient chat) =>
        services.GetService<AnswersMetrics>() is { } metrics ? new MeteredChatClient(chat, metrics) : chat;
}
