namespace QaMonolith.Shared.Outbox;

/// <summary>
/// Wakes this process's relay right after a commit that wrote outbox rows, so the happy path has no polling delay.
/// Signals coalesce: many commits while the relay is busy cost it one more pass.
/// </summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled; the relay's next pass picks this commit up too.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _pending.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _pending.Dispose();
}
