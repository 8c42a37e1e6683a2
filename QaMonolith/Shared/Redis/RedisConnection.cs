using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace QaMonolith.Shared.Redis;

internal static class RedisConnection
{
    /// <summary>
    /// The one shared multiplexer. It never aborts on a failed connect, so the app starts without Redis and
    /// reconnects by itself; FailFast makes commands fail at once while disconnected instead of queueing for
    /// seconds, so a POST falls back (the outbox keeps the events) rather than hanging.
    /// </summary>
    public static IConnectionMultiplexer Connect(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RedisConnection));
        var options = Configure(configuration);

        var multiplexer = ConnectionMultiplexer.Connect(options);
        if (!multiplexer.IsConnected)
        {
            logger.LogError(
                "Redis is not reachable at {Endpoints}. Set ConnectionStrings__Redis (StackExchange.Redis format, e.g. 127.0.0.1:6379); /health/ready stays 503 and the app reconnects by itself",
                string.Join(",", options.EndPoints));
        }

        multiplexer.ConnectionFailed += (_, e) =>
            logger.LogWarning("Redis connection to {Endpoint} lost: {FailureType}", e.EndPoint, e.FailureType);
        multiplexer.ConnectionRestored += (_, e) =>
            logger.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
        return multiplexer;
    }

    /// <summary>
    /// The settings of every multiplexer the app opens: the shared one, and a consumer's own when it must BLOCK
    /// (it adjusts the timeouts on top).
    /// </summary>
    public static ConfigurationOptions Configure(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Redis")
            ?? throw new OptionsValidationException("ConnectionStrings:Redis", typeof(string),
                ["ConnectionStrings:Redis is not set; set ConnectionStrings__Redis, e.g. 127.0.0.1:6379"]);

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 3000);
        options.ClientName ??= "qamonolith";
        return options;
    }

    /// <summary>
    /// A multiplexer of its own for one consumer that must BLOCK (XREAD / XREADGROUP): the shared one would stall
    /// every other command behind the block. RESP2 gives the stream replies one shape to parse, and the timeouts
    /// outlast the block, which is a command in flight for its whole length.
    /// </summary>
    public static Task<ConnectionMultiplexer> ConnectBlockingAsync(IConfiguration configuration, string role, TimeSpan block)
    {
        var options = Configure(configuration);
        options.Protocol = RedisProtocol.Resp2;
        options.ClientName += $"-{role}";
        var timeout = (int)block.TotalMilliseconds + 5_000;
        options.AsyncTimeout = Math.Max(options.AsyncTimeout, timeout);
        options.SyncTimeout = Math.Max(options.SyncTimeout, timeout);
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
