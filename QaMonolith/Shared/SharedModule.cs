using System.Data.Common;
using Dapper;
using Npgsql;
using QaMonolith.Shared.Data;
using QaMonolith.Shared.Health;
using QaMonolith.Shared.Http;
using QaMonolith.Shared.Outbox;
using QaMonolith.Shared.Redis;
using QaMonolith.Shared.Telemetry;
using StackExchange.Redis;

namespace QaMonolith.Shared;

internal static class SharedModule
{
    /// <summary>What every module may use; returns the module flags for Program.cs to compose with.</summary>
    public static ModulesOptions AddSharedModule(this IHostApplicationBuilder builder)
    {
        var modules = builder.Configuration.GetSection(ModulesOptions.Section).Get<ModulesOptions>() ?? new ModulesOptions();
        var services = builder.Services;

        // Columns are snake_case, records are PascalCase; one global switch instead of an alias per column.
        DefaultTypeMap.MatchNamesWithUnderscores = true;

        services.AddSingleton(TimeProvider.System);
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var postgres = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(postgres))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres is not set; set ConnectionStrings__Postgres, e.g. Host=127.0.0.1;Port=5432;Database=qamonolith;Username=postgres");
        }

        // Named, so metrics label the pool "qamonolith" rather than with its connection string.
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(WithDefaults(postgres)) { Name = "qamonolith" }.Build());
        services.AddSingleton<IConnectionMultiplexer>(RedisConnection.Connect);
        services.AddSingleton<RedisKeys>();
        services.AddSingleton<DatabaseState>();
        services.AddSingleton<DatabaseMigrator>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseMigrator>());

        // The relay runs wherever something writes outbox rows.
        if (modules.Api || modules.Answers)
        {
            services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
            services.AddSingleton<OutboxSignal>();
            services.AddSingleton<OutboxRelay>();
            services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        }

        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<RedisHealthCheck>("redis", tags: [HealthEndpoints.ReadyTag]);

        builder.AddTelemetry(modules);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = FrameworkProblems.AddDetail);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return modules;
    }

    /// <summary>
    /// Every request runs the same handful of statements, so let Npgsql prepare them on the server after two uses;
    /// and no session state survives a request, so a returned connection need not be reset. At most 30 connections
    /// a process (Npgsql's default is 100, PostgreSQL's max_connections also 100): on two cores, 16 and 100 served
    /// the same POST load (scripts/bench.sh, REFLECTION.md), and three processes of 30 still fit one server's limit.
    /// A setting given in the connection string wins.
    /// </summary>
    private static string WithDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 32;
        }

        if (!given.ContainsKey("Maximum Pool Size") && !given.ContainsKey("Max Pool Size") && !given.ContainsKey("MaxPoolSize"))
        {
            builder.MaxPoolSize = 30;
        }

        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    public static void MapSharedModule(this WebApplication app)
    {
        var modules = app.Configuration.GetSection(ModulesOptions.Section).Get<ModulesOptions>() ?? new ModulesOptions();
        app.Logger.LogInformation("QaMonolith modules enabled: {Modules}", string.Join(", ", modules.Enabled()));

        app.UseExceptionHandler();
        // Unknown routes and wrong methods get a problem document too, not an empty body.
        app.UseStatusCodePages();
        app.MapHealth();
        app.MapTelemetry();
    }
}
