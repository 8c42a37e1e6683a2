namespace QaMonolith.Tests.Infrastructure;

/// <summary>Polls for an eventual result with a deadline, instead of sleeping a guessed time.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                last = ex;
            }

            await Task.Delay(25);
        }

        Assert.Fail($"Timed out after {timeout} waiting for {what}. {last?.Message}");
    }

    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        T? value = null;
        await TrueAsync(async () => (value = await probe()) is not null, timeout, what);
        return value!;
    }
}
