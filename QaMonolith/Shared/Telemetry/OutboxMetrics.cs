using System.Diagnostics.Metrics;
using Dapper;
using Npgsql;
using QaMonolith.Shared.Data;

namespace QaMonolith.Shared.Telemetry;

/// <summary>How far the outbox is behind: rows committed but not yet on their stream, and how old the oldest is.</summary>
internal sealed class OutboxMetrics : IPolledGauge
{
    /// <summary>Counting stops here, so a huge backlog (Redis down for hours) keeps the poll cheap.</summary>
    private const string CountLimit = "100000";

    // Both through the partial index outbox_pending: a bounded count and the first pending id's row.
    private const string Sql = $"""
        select (select count(*) from (select 1 from outbox where published_at is null limit {CountLimit}) p) as pending,
               coalesce(extract(epoch from now() - (select created_at from outbox where published_at is null order by id limit 1)), 0)::float8 as oldest_age
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly DatabaseState _database;
    private readonly Reading<long> _pending = new();
    private readonly Reading<double> _oldestAge = new();

    public OutboxMetrics(IMeterFactory meters, NpgsqlDataSource dataSource, DatabaseState database)
    {
        _dataSource = dataSource;
        _database = database;
        var meter = meters.Create(TelemetryModule.SharedMeter);
        meter.CreateObservableGauge("qa.outbox.pending", _pending.Observe, "{row}",
            $"Outbox rows committed but not yet published to their Redis stream (counted up to {CountLimit})");
        meter.CreateObservableGauge("qa.outbox.oldest_pending.age", _oldestAge.Observe, "s",
            "Age of the oldest outbox row not yet published; 0 when none is pending");
    }

    private sealed record Row(long Pending, double OldestAge);

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (!_database.IsMigrated)
        {
            MarkUnknown();
            return;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        _pending.Set(row.Pending);
        _oldestAge.Set(row.OldestAge);
    }

    public void MarkUnknown()
    {
        _pending.Clear();
        _oldestAge.Clear();
    }
}
