using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QaMonolith.Tests.Infrastructure;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Telemetry;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, the spans of a question's path reach an OTLP receiver.</summary>
public sealed class OtlpExportTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task WithAnOtlpEndpoint_TheQuestionsSpansAreExported_InOneTrace()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var app = await QaApp.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Address.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        using var api = new ApiClient(app.CreateClient());
        var traceId = ActivityTraceId.CreateRandom();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/courses/4/questions") { Content = JsonContent.Create(new { text = "What is a phantom read?" }) };
        request.Headers.Add("X-User-Id", ApiClient.NewUser().ToString());
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await api.Http.SendAsync(request);
        var questionId = (await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await WaitForAnswersAsync(api, questionId, 1);

        // OTLP is protobuf: the trace id is 16 raw bytes, span names and attribute values plain UTF-8.
        var traceBytes = Convert.FromHexString(traceId.ToHexString());
        await Eventually.TrueAsync(() => Task.FromResult(
            new[] { "POST", "answers.question", "live.deliver" }.All(name => receiver.Bodies.Any(b => Contains(b, traceBytes) && Contains(b, Encoding.UTF8.GetBytes(name))))),
            TimeSpan.FromSeconds(20), "the POST's, the worker's and Live's spans of the trace at the receiver");
        Assert.That(receiver.Bodies.Any(b => Contains(b, Encoding.UTF8.GetBytes("qamonolith"))), Is.True, "the service name");
    }

    private static bool Contains(byte[] body, byte[] part) => body.AsSpan().IndexOf(part) >= 0;

    /// <summary>Takes OTLP/HTTP trace exports and keeps their bodies.</summary>
    private sealed class OtlpReceiver(WebApplication app) : IAsyncDisposable
    {
        private readonly ConcurrentQueue<byte[]> _bodies = new();

        public Uri Address { get; private set; } = null!;

        public IReadOnlyCollection<byte[]> Bodies => _bodies;

        public static async Task<OtlpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new OtlpReceiver(app);
            app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                receiver._bodies.Enqueue(body.ToArray());
                context.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return receiver;
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
