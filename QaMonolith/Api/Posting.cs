using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace QaMonolith.Api;

internal static class Posting
{
    /// <summary>
    /// Runs <paramref name="save"/> under the user's rate-limit slot. A post that is not saved (404, an exception)
    /// gives the slot back, so only a created question or answer uses it up.
    /// </summary>
    public static async Task<Results<Created<T>, ProblemHttpResult>> WithSlotAsync<T>(
        RateLimiter limiter, HttpContext context, PostKind kind, Guid user, Func<Task<Results<Created<T>, ProblemHttpResult>>> save)
    {
        var decision = await limiter.AcquireAsync(kind, user, context.Connection.RemoteIpAddress);
        if (decision is RateLimitDecision.Rejected rejected)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(rejected.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problems.TooManyRequests($"{rejected.Reason} Try again in {seconds} s.");
        }

        var lease = ((RateLimitDecision.Granted)decision).Lease;
        var saved = false;
        try
        {
            var result = await save();
            saved = result.Result is Created<T>;
            return result;
        }
        finally
        {
            if (!saved)
            {
                await limiter.ReleaseAsync(lease);
            }
        }
    }
}
