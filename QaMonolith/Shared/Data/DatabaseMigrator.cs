using System.Reflection;
using Dapper;
using DbUp;
using DbUp.Engine.Output;
using Npgsql;

namespace QaMonolith.Shared.Data;

/// <summary>
/// Applies the numbered migrations and seeds the courses at start. It runs in the background and retries until
/// PostgreSQL answers, so the app starts (and reports 503 on /health/ready) while the database is still away.
/// </summary>
internal sealed partial class DatabaseMigrator(
    IConfiguration configuration,
    NpgsqlDataSource dataSource,
    DatabaseState state,
    ILogger<DatabaseMigrator> logger) : BackgroundService
{
    // Any constant shared by every process of every version; pg_advisory_lock serializes concurrent starts.
    private const long MigrationLockKey = 0x51_41_4D_6F_6E_6F;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await MigrateAsync(stoppingToken);
                state.MarkMigrated();
                logger.LogInformation("Database migrated and seeded");
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsUnreachable(ex))
            {
                // Say it loudly once with the fix, then quietly while waiting for the database to come.
                if (attempt++ == 0)
                {
                    var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
                    logger.LogError(
                        "PostgreSQL is not reachable at {Host}:{Port}, database {Database} ({Reason}). Set ConnectionStrings__Postgres (Npgsql format); /health/ready stays 503 and migration is retried every {Delay}",
                        builder.Host, builder.Port, builder.Database, ex.Message, RetryDelay);
                }
                else
                {
                    logger.LogDebug(ex, "Migration attempt {Attempt} failed", attempt);
                }
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    // A server that is down or still starting is worth waiting for; a broken migration or a wrong password is not,
    // and stops the host with its own message.
    private static bool IsUnreachable(Exception ex) => ex switch
    {
        PostgresException postgres => postgres.IsTransient,
        NpgsqlException or System.Net.Sockets.SocketException or TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => IsUnreachable(inner),
        _ => false,
    };

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString("Postgres")!;
        var log = new UpgradeLog(logger);
        await using var connection = await OpenCreatingDatabaseAsync(connectionString, log, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_lock(@Key)", new { Key = MigrationLockKey }, cancellationToken: cancellationToken));
        try
        {
            var result = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Data.Migrations.", StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogTo(log)
                .Build()
                .PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Migration {result.ErrorScript?.Name} failed", result.Error);
            }

            await connection.ExecuteAsync(new CommandDefinition(ReadSeed("courses.sql"), cancellationToken: cancellationToken));
        }
        finally
        {
            await connection.ExecuteAsync("select pg_advisory_unlock(@Key)", new { Key = MigrationLockKey });
        }
    }

    /// <summary>
    /// Opens the app's database, creating it first if it does not exist. Only then does it touch the maintenance
    /// database, which a managed server may not let the app's user into.
    /// </summary>
    private async Task<NpgsqlConnection> OpenCreatingDatabaseAsync(string connectionString, IUpgradeLog log, CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            logger.LogInformation("Database {Database} does not exist; creating it", new NpgsqlConnectionStringBuilder(connectionString).Database);
            try
            {
                EnsureDatabase.For.PostgresqlDatabase(connectionString, log);
            }
            catch (PostgresException race) when (race.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another process starting at the same moment created it first.
            }

            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
    }

    private static string ReadSeed(string file)
    {
        var assembly = Assembly.GetExecutingAssembly();
        using var stream = assembly.GetManifestResourceStream($"QaMonolith.Shared.Data.Seed.{file}")
            ?? throw new InvalidOperationException($"Seed {file} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>DbUp's log routed into ours; its format strings are composite, not message templates.</summary>
    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace("{DbUp}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogDebug(string format, params object[] args) => logger.LogDebug("{DbUp}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogInformation(string format, params object[] args) => logger.LogInformation("{DbUp}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogWarning(string format, params object[] args) => logger.LogWarning("{DbUp}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogError(string format, params object[] args) => logger.LogError("{DbUp}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, "{DbUp}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
