using Npgsql;

namespace QaMonolith.Tests.Infrastructure;

/// <summary>A throwaway PostgreSQL started by scripts/services.sh on a free port; tests may stop and restart it.</summary>
internal sealed class PostgresServer(string dataDir, int port) : IAsyncDisposable
{
    public int Port { get; } = port;

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public static async Task<PostgresServer> StartAsync(int? port = null)
    {
        var server = new PostgresServer(Path.Combine(Servers.Root, $"pg-{Guid.NewGuid():N}"), port ?? await Servers.FreePortAsync());
        await server.StartAsync();
        return server;
    }

    public Task StartAsync() => Repo.ServicesAsync("postgres-start", dataDir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task StopAsync() => Repo.ServicesAsync("postgres-stop", dataDir);

    /// <summary>A connection string for a new, empty database of its own.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"qa_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    public string ConnectionStringFor(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}";

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>A throwaway Redis; <c>durable</c> keeps its data (append-only file) across a stop and start.</summary>
internal sealed class RedisServer(string dataDir, int port, bool durable = false) : IAsyncDisposable
{
    public int Port { get; } = port;

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(int? port = null, bool durable = false)
    {
        var server = new RedisServer(Path.Combine(Servers.Root, $"redis-{Guid.NewGuid():N}"), port ?? await Servers.FreePortAsync(), durable);
        await server.StartAsync();
        return server;
    }

    public Task StartAsync() => durable
        ? Repo.ServicesAsync("redis-start", dataDir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "durable")
        : Repo.ServicesAsync("redis-start", dataDir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task StopAsync() => Repo.ServicesAsync("redis-stop", dataDir);

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>
/// The servers the whole run shares, started once. Each app a test starts gets its own database and Redis key
/// prefix on them, so tests cannot see each other's rows or streams.
/// </summary>
internal static class Servers
{
    // Not a 0700 temp dir: as root the postgres user must be able to enter it.
    public static readonly string Root = Path.Combine("/tmp", $"qamonolith-tests-{Environment.ProcessId}");

    private static PostgresServer? s_postgres;
    private static RedisServer? s_redis;

    public static PostgresServer Postgres => s_postgres ?? throw new InvalidOperationException("servers not started");

    public static RedisServer Redis => s_redis ?? throw new InvalidOperationException("servers not started");

    public static async Task<int> FreePortAsync() => int.Parse(await Repo.ServicesAsync("free-port"), System.Globalization.CultureInfo.InvariantCulture);

    public static async Task StartAsync()
    {
        Directory.CreateDirectory(Root);
        var postgres = PostgresServer.StartAsync();
        var redis = RedisServer.StartAsync();
        s_postgres = await postgres;
        s_redis = await redis;
    }

    public static async Task StopAsync()
    {
        if (s_postgres is not null)
        {
            await s_postgres.DisposeAsync();
        }

        if (s_redis is not null)
        {
            await s_redis.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A server that is still shutting down may hold a file; /tmp is cleaned anyway.
        }
    }
}
