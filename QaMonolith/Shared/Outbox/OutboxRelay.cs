using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using QaMonolith.Shared.Data;
using QaMonolith.Shared.Redis;
using QaMonolith.Shared.Telemetry;
using StackExchange.Redis;

namespace QaMonolith.Shared.Outbox;

/// <summary>
/// Publishes committed outbox rows to their Redis streams in id order and marks them published. Woken by
/// <see cref="OutboxSignal"/> right after a commit, and sweeps on a timer for rows written while Redis was
/// down or by a process that died before publishing. Several relays may run at once: <c>skip locked</c> hands
/// each row to one of them, and a row published twice (a crash between XADD and commit) is harmless downstream
/// because every entry carries its <c>outboxId</c>.
/// </summary>
internal sealed class OutboxRelay(
    NpgsqlDataSource dataSource,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    OutboxSignal signal,
    DatabaseState database,
    IOptions<OutboxOptions> options,
    IOptions<RedisOptions> redisOptions,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly TimeSpan CleanupEvery = TimeSpan.FromMinutes(10);

    private const string SelectPendingSql = """
        select id, stream, type, data::text as data, traceparent
        from outbox
        where published_at is null
        order by id
        limit @BatchSize
        for update skip locked
        """;

    private const string MarkPublishedSql = "update outbox set published_at = now() where id = any(@Ids)";

    private const string CleanupSql = "delete from outbox where published_at < now() - @Retain";

    private sealed record PendingRow(long Id, string Stream, string Type, string Data, string? Traceparent)
    {
        public NameValueEntry[] Fields() => Traceparent is null
            ? [new("type", Type), new("data", Data), new("outboxId", Id)]
            : [new("type", Type), new("data", Data), new("outboxId", Id), new(TraceContext.Field, Traceparent)];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        var nextCleanup = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!database.IsMigrated)
                {
                    await signal.WaitAsync(settings.SweepInterval, stoppingToken);
                    continue;
                }

                var published = await PublishBatchAsync(settings.BatchSize, stoppingToken);
                if (failures > 0)
                {
                    logger.LogInformation("Outbox relay recovered after {Failures} failed attempts", failures);
                    failures = 0;
                }

                if (time.GetUtcNow() >= nextCleanup)
                {
                    await CleanupAsync(settings.RetainPublished, stoppingToken);
                    nextCleanup = time.GetUtcNow() + CleanupEvery;
                }

                if (published < settings.BatchSize)
                {
                    await signal.WaitAsync(settings.SweepInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The rows stay pending; the next pass after the back-off retries them.
                if (failures++ == 0)
                {
                    logger.LogWarning(ex, "Outbox relay could not publish; retrying with back-off");
                }

                await Task.Delay(Backoff(failures, settings.SweepInterval), stoppingToken);
            }
        }
    }

    /// <summary>Publishes up to <paramref name="batchSize"/> pending rows; returns how many were published.</summary>
    public async Task<int> PublishBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<PendingRow>(new CommandDefinition(
            SelectPendingSql, new { BatchSize = batchSize }, transaction, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            return 0;
        }

        // One connection keeps the pipelined XADDs in order; awaiting them together costs one round trip.
        var db = redis.GetDatabase();
        var adds = rows.Select(row => db.StreamAddAsync(
            keys.Key(row.Stream),
            row.Fields(),
            maxLength: MaxLength(row.Stream),
            useApproximateMaxLength: true)).ToArray();
        Exception? failure = null;
        try
        {
            await Task.WhenAll(adds);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            failure = ex;
        }

        // Mark exactly the rows Redis took, so a partial failure neither loses nor repeats one.
        var publishedIds = rows.Where((_, i) => adds[i].IsCompletedSuccessfully).Select(row => row.Id).ToArray();
        if (publishedIds.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                MarkPublishedSql, new { Ids = publishedIds }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        if (failure is not null)
        {
            throw new RedisException($"Published {publishedIds.Length} of {rows.Count} outbox rows", failure);
        }

        return publishedIds.Length;
    }

    private int? MaxLength(string stream) => stream switch
    {
        StreamNames.Events => redisOptions.Value.EventsMaxLength,
        StreamNames.Questions => redisOptions.Value.QuestionsMaxLength,
        _ => null,
    };

    private async Task CleanupAsync(TimeSpan retain, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(CleanupSql, new { Retain = retain }, cancellationToken: cancellationToken));
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} published outbox rows older than {Retain}", deleted, retain);
        }
    }

    private static TimeSpan Backoff(int failures, TimeSpan sweep) =>
        TimeSpan.FromMilliseconds(Math.Min(sweep.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 5)), 10_000) * (0.8 + (0.4 * Random.Shared.NextDouble())));
}
