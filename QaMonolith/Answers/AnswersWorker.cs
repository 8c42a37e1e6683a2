using Microsoft.Extensions.Options;
using QaMonolith.Shared.Data;
using StackExchange.Redis;

namespace QaMonolith.Answers;

/// <summary>
/// Consumes <c>qa:questions</c> in group <c>answers</c>, the Wolverine way: create the group (BUSYGROUP is fine),
/// drain this consumer's own pending entries, then block for new ones; take over entries idle too long (a dead
/// consumer's, or ones that failed here) with XAUTOCLAIM; dead-letter an entry after <c>MaxDeliveries</c>; ack only
/// once every answer is saved. Up to <c>Llm:MaxConcurrency</c> questions at once: with every slot busy it reads
/// nothing more, so the rest wait in the stream, not in memory.
/// </summary>
internal sealed class AnswersWorker(
    QuestionStream stream,
    BlockingReader reader,
    ConsumerName consumerName,
    DeliveryHandler handler,
    IAnswerWriter writer,
    DatabaseState database,
    IOptions<AnswersOptions> options,
    IOptions<LlmOptions> llmOptions,
    TimeProvider time,
    ILogger<AnswersWorker> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBlock = TimeSpan.FromSeconds(2);

    // Touched only by the loop in ExecuteAsync, so it needs no lock.
    private readonly Dictionary<RedisValue, Task> _inFlight = [];

    // Cancels questions in progress, later than the stopping token: they get ShutdownDrain to finish first.
    private readonly CancellationTokenSource _work = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var llm = llmOptions.Value;
        logger.LogInformation("Answers: {Writer}; up to {MaxConcurrency} questions at once, {AnswersPerQuestion} answers each",
            writer.Description, llm.MaxConcurrency, llm.AnswersPerQuestion);
        string consumer;
        try
        {
            consumer = await JoinGroupAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await ConsumeAsync(consumer, stoppingToken);
        }
        finally
        {
            await StopWorkAsync();
        }
    }

    /// <summary>Waits for the migrations and Redis, then makes sure the group exists and this process has its name.</summary>
    private async Task<string> JoinGroupAsync(CancellationToken stoppingToken)
    {
        for (var failures = 0; ; failures++)
        {
            try
            {
                if (database.IsMigrated)
                {
                    await stream.EnsureGroupAsync();
                    var consumer = await consumerName.AcquireAsync();
                    logger.LogInformation("Answers worker consuming {Stream} as {Consumer} in group {Group}", (string?)stream.Key, consumer, QuestionStream.Group);
                    return consumer;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (failures == 0)
                {
                    logger.LogWarning(ex, "Answers worker cannot reach Redis yet; retrying");
                }
            }

            await Task.Delay(Backoff(failures), stoppingToken);
        }
    }

    private async Task ConsumeAsync(string consumer, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // Often enough that neither an entry in progress goes idle long enough to be claimed, nor the name's lease runs out.
        var heartbeatEvery = (settings.ClaimIdleTime < ConsumerName.Lease ? settings.ClaimIdleTime : ConsumerName.Lease) / 3;
        var block = heartbeatEvery < MaxBlock ? heartbeatEvery : MaxBlock;
        var nextHeartbeat = time.GetUtcNow();
        var nextClaim = time.GetUtcNow();
        RedisValue ownAfter = "0-0";
        var drainingOwn = true;
        var groupMissing = false;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Reap();
                if (groupMissing)
                {
                    // Redis came back without its data: the stream and the group start again from nothing, and
                    // the sweep re-asks the questions whose entries were lost.
                    await stream.EnsureGroupAsync();
                    groupMissing = false;
                    logger.LogWarning("Recreated consumer group {Group} on {Stream}", QuestionStream.Group, (string?)stream.Key);
                }

                if (time.GetUtcNow() >= nextHeartbeat)
                {
                    await stream.HeartbeatAsync(consumer, [.. _inFlight.Keys]);
                    await consumerName.RenewAsync();
                    nextHeartbeat = time.GetUtcNow() + heartbeatEvery;
                }

                var free = llmOptions.Value.MaxConcurrency - _inFlight.Count;
                if (free <= 0)
                {
                    await WaitForFreeSlotAsync(heartbeatEvery, stoppingToken);
                    continue;
                }

                if (drainingOwn)
                {
                    // What this consumer held when it last stopped; only at start, before anything else is in flight.
                    var own = await stream.ReadOwnPendingAsync(consumer, ownAfter, free);
                    drainingOwn = own.Count > 0;
                    if (drainingOwn)
                    {
                        ownAfter = own[^1].Id;
                        Start(own, consumer);
                        continue;
                    }
                }

                if (time.GetUtcNow() >= nextClaim)
                {
                    var claimed = await stream.ClaimIdleAsync(consumer, settings.ClaimIdleTime, free);
                    nextClaim = time.GetUtcNow() + (settings.ClaimIdleTime / 2);
                    if (claimed.Count > 0)
                    {
                        logger.LogInformation("Took over {Count} entries idle for over {ClaimIdleTime}", claimed.Count, settings.ClaimIdleTime);
                        Start(claimed, consumer);
                        continue;
                    }
                }

                Start(await ReadNewAsync(consumer, free, block, stoppingToken), consumer);
                if (failures > 0)
                {
                    logger.LogInformation("Answers worker recovered after {Failures} failed attempts", failures);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                groupMissing |= ex is RedisServerException { Message: var message } && message.StartsWith("NOGROUP", StringComparison.Ordinal);
                if (failures++ == 0)
                {
                    logger.LogWarning(ex, "Answers worker could not read {Stream}; retrying with back-off", (string?)stream.Key);
                }

                try
                {
                    await Task.Delay(Backoff(failures), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    private async Task<IReadOnlyList<Delivery>> ReadNewAsync(string consumer, int count, TimeSpan block, CancellationToken stoppingToken)
    {
        var read = reader.ReadNewAsync(stream.Key, consumer, count, block);
        try
        {
            return await read.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: end the block at once and wait for the read itself, so nothing is left running.
            await reader.UnblockAsync();
            try
            {
                await read;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                logger.LogDebug(ex, "The last read ended with its connection closed, as it should when stopping");
            }

            throw;
        }
    }

    private void Start(IReadOnlyList<Delivery> deliveries, string consumer)
    {
        foreach (var delivery in deliveries)
        {
            // A claim can hand back an entry this loop is still working on; one task per entry is enough.
            if (!_inFlight.ContainsKey(delivery.Id))
            {
                _inFlight[delivery.Id] = handler.HandleAsync(delivery, consumer, _work.Token);
            }
        }
    }

    private void Reap()
    {
        foreach (var (id, task) in _inFlight.Where(e => e.Value.IsCompleted).ToArray())
        {
            _inFlight.Remove(id);
            if (task.IsFaulted)
            {
                logger.LogError(task.Exception, "Entry {EntryId} ended with an unexpected error", (string?)id);
            }
        }
    }

    private async Task WaitForFreeSlotAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var delay = Task.Delay(timeout, wake.Token);
        await Task.WhenAny(_inFlight.Values.Append(delay));
        await wake.CancelAsync();
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>Gives questions in progress ShutdownDrain to finish; the rest stop and stay pending for the next start.</summary>
    private async Task StopWorkAsync()
    {
        var working = _inFlight.Values.ToArray();
        if (working.Length > 0)
        {
            logger.LogInformation("Stopping: waiting up to {Drain} for {Count} questions in progress", options.Value.ShutdownDrain, working.Length);
            try
            {
                await Task.WhenAll(working).WaitAsync(options.Value.ShutdownDrain);
            }
            catch (TimeoutException)
            {
                await _work.CancelAsync();
                await Task.WhenAll(working);
            }
        }

        try
        {
            await consumerName.ReleaseAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogDebug(ex, "Could not release the consumer name; its lease runs out by itself");
        }
    }

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(2, Math.Min(failures, 6)), 10_000) * (0.8 + (0.4 * Random.Shared.NextDouble())));

    public override void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }
}
