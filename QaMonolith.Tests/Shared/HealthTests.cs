using System.Net;
using System.Text.Json;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Shared;

public sealed class HealthTests
{
    [Test]
    public async Task Ready_WhenBothServersAnswer_Is200()
    {
        await using var app = await QaApp.StartAsync();
        using var client = app.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task StartWithoutPostgres_ReadyIs503NamingIt_AndRecoversWhenItComes()
    {
        var port = await Servers.FreePortAsync();
        await using var app = await QaApp.StartAsync(
            postgres: $"Host=127.0.0.1;Port={port};Username=postgres;Database=qa_late_{Guid.NewGuid():N};Timeout=2",
            waitUntilReady: false);
        using var client = app.CreateClient();

        await AssertUnhealthyAsync(client, "postgres");
        using (var live = await client.GetAsync("/health/live"))
        {
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "liveness does not depend on PostgreSQL");
        }

        using (var courses = await client.GetAsync("/api/courses"))
        {
            await Problem.AssertAsync(courses, HttpStatusCode.ServiceUnavailable);
        }

        await using var postgres = await PostgresServer.StartAsync(port);
        await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        using var api = new ApiClient(client);
        Assert.That((await api.GetJsonAsync("/api/courses")).GetProperty("items").GetArrayLength(), Is.GreaterThanOrEqualTo(5));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task StartWithoutRedis_ReadyIs503NamingIt_AndRecoversWhenItComes()
    {
        var port = await Servers.FreePortAsync();
        await using var app = await QaApp.StartAsync(redis: $"127.0.0.1:{port},connectTimeout=500", waitUntilReady: false);
        using var client = app.CreateClient();

        await AssertUnhealthyAsync(client, "redis");

        await using var redis = await RedisServer.StartAsync(port);
        await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task AssertUnhealthyAsync(HttpClient client, string check)
    {
        using var ready = await client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body);
        var status = JsonDocument.Parse(body).RootElement.GetProperty("checks").GetProperty(check);
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
        Assert.That(status.GetProperty("description").GetString(), Does.Contain(check == "postgres" ? "PostgreSQL" : "Redis"));
    }
}
