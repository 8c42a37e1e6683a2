using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using QaMonolith.Shared.Data;
using StackExchange.Redis;

namespace QaMonolith.Shared.Health;

/// <summary>Ready when PostgreSQL answers and this process has applied the migrations.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource, DatabaseState state) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!state.IsMigrated)
        {
            return HealthCheckResult.Unhealthy("migrations not applied yet (is PostgreSQL reachable? see ConnectionStrings:Postgres)");
        }

        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("select 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL unreachable: {ex.Message}");
        }
    }
}

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis unreachable: {ex.Message} (see ConnectionStrings:Redis)");
        }
    }
}
