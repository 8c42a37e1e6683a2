using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace QaMonolith.Answers;

/// <summary>
/// A model call that failed. Transient failures (no connection, 408, 429, 5xx) are retried and open the circuit;
/// the rest (400, 401, 404, a reply we cannot read) would fail again the same way, so they fail the delivery.
/// </summary>
internal sealed class ModelCallException : Exception
{
    public ModelCallException(string message, bool transient, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Transient = transient;
        RetryAfter = retryAfter;
    }

    public bool Transient { get; }

    /// <summary>What the server asked for in <c>Retry-After</c>, if anything.</summary>
    public TimeSpan? RetryAfter { get; }

    public static bool IsTransientStatus(int status) => status is 0 or 408 or 429 or >= 500;

    public static ModelCallException ForStatus(int status, TimeSpan? retryAfter, string? body) => new(
        $"The model server answered {status} {(HttpStatusCode)status}{(string.IsNullOrWhiteSpace(body) ? "" : ": " + Shorten(body))}",
        IsTransientStatus(status),
        retryAfter);

    /// <summary>The OpenAI SDK's failure in our terms; status 0 means no response at all (connection refused, reset).</summary>
    public static ModelCallException From(ClientResultException ex)
    {
        var response = ex.GetRawResponse();
        TimeSpan? retryAfter = null;
        if (response is not null)
        {
            if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis))
            {
                retryAfter = TimeSpan.FromMilliseconds(millis);
            }
            else if (response.Headers.TryGetValue("Retry-After", out var value))
            {
                retryAfter = ParseRetryAfter(value);
            }
        }

        return new ModelCallException(
            ex.Status == 0 ? $"The model server could not be reached: {ex.Message}" : $"The model server answered {ex.Status}: {Shorten(ex.Message)}",
            IsTransientStatus(ex.Status),
            retryAfter,
            ex);
    }

    public static TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    private static TimeSpan? ParseRetryAfter(string? value) =>
        RetryConditionHeaderValue.TryParse(value, out var header) ? ParseRetryAfter(header, DateTimeOffset.UtcNow) : null;

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

/// <summary>The model answered with nothing worth saving; a failed attempt like any other.</summary>
internal sealed class EmptyModelOutputException() : Exception("The model returned an empty answer");

internal static class Failures
{
    /// <summary>
    /// The model or the database is away for now. Waiting helps and the entry is not to blame, so the worker keeps
    /// the entry and tries again later instead of spending one of its deliveries.
    /// </summary>
    public static bool IsOutage(Exception ex) => ex switch
    {
        BrokenCircuitException or TimeoutRejectedException or HttpRequestException => true,
        ModelCallException call => call.Transient,
        NpgsqlException npgsql => npgsql.IsTransient,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsOutage),
        _ => false,
    };
}
