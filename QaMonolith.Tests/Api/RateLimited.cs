using System.Globalization;
using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

internal static class RateLimited
{
    /// <summary>
    /// Asserts a 429 problem document whose Retry-After is whole seconds from 1 to 60 and whose detail tells the
    /// same wait; returns the seconds.
    /// </summary>
    public static async Task<int> AssertAsync(HttpResponseMessage response, string? detailContains = null)
    {
        var problem = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, detailContains);
        var header = response.Headers.TryGetValues("Retry-After", out var values) ? string.Join(",", values) : null;
        Assert.That(int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds), Is.True, $"Retry-After '{header}' is whole seconds");
        Assert.That(seconds, Is.InRange(1, 60));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain($"{seconds} s"), "the detail tells how long to wait");
        return seconds;
    }

    /// <summary>
    /// Asserts that exactly <paramref name="created"/> of <paramref name="responses"/> are 201 and every other one is a
    /// 429 as <see cref="AssertAsync"/> describes; disposes them all.
    /// </summary>
    public static async Task AssertCreatedAsync(HttpResponseMessage[] responses, int created, string? detailContains = null)
    {
        try
        {
            Assert.That(responses.Count(r => r.StatusCode == HttpStatusCode.Created), Is.EqualTo(created),
                string.Join(", ", responses.Select(r => (int)r.StatusCode)));
            foreach (var rejected in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            {
                await AssertAsync(rejected, detailContains);
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }
}
