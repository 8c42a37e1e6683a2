using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace QaMonolith.Answers;

/// <summary>
/// Every network model call goes through this: a retry (exponential back-off with jitter, or the server's
/// Retry-After) around a circuit breaker around a per-attempt time-out. One pipeline per process, so the circuit
/// sees every answer's calls and opens for all of them.
/// </summary>
internal static class ModelPipeline
{
    public static ResiliencePipeline Build(LlmOptions options, TimeProvider time, ILogger logger)
    {
        var retryable = new PredicateBuilder()
            .Handle<ModelCallException>(e => e.Transient)
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .Handle<EmptyModelOutputException>();
        // An empty answer means the server is up; only failures to answer count towards opening the circuit.
        var serverDown = new PredicateBuilder()
            .Handle<ModelCallException>(e => e.Transient)
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>();

        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = retryable,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is ModelCallException { RetryAfter: { } after }
                        ? (TimeSpan?)(after < options.MaxRetryDelay ? after : options.MaxRetryDelay)
                        : null),
                OnRetry = args =>
                {
                    logger.LogWarning("Model call failed ({Error}); retry {Attempt} of {MaxRetries} in {Delay}",
                        args.Outcome.Exception?.Message, args.AttemptNumber + 1, options.MaxRetries, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = serverDown,
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = options.BreakDuration,
                OnOpened = args =>
                {
                    logger.LogError("Model circuit opened for {BreakDuration}: {Error}", args.BreakDuration, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    logger.LogInformation("Model circuit closed: the model answers again");
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.Timeout)
            .Build();
    }

    /// <summary>How long to wait before trying a question again after an outage; an open circuit says when it will try.</summary>
    public static TimeSpan OutageDelay(Exception ex, int outages, LlmOptions options)
    {
        var backoff = TimeSpan.FromMilliseconds(Math.Min(
            Math.Max(options.RetryDelay.TotalMilliseconds, 50) * Math.Pow(2, Math.Min(outages, 10)),
            options.MaxRetryDelay.TotalMilliseconds));
        var jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
        // An open circuit knows when it lets a call through again: a little after that, spread so held questions do not
        // all try at once; waiting longer would only delay the recovery.
        var broken = (ex is AggregateException aggregate ? aggregate.InnerExceptions : [ex])
            .OfType<BrokenCircuitException>().FirstOrDefault(b => b.RetryAfter is not null);
        return broken?.RetryAfter is { } retryAfter ? retryAfter * (jitter + 0.2) : backoff * jitter;
    }
}
