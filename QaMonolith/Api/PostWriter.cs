using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using QaMonolith.Shared.Outbox;

namespace QaMonolith.Api;

/// <summary>What a user posts: the parent it goes under (a course or a question), who posts it, the trimmed text.</summary>
internal sealed record NewPost(long ParentId, Guid User, string Text);

/// <summary>A saved post: what the client gets back, where it lives, the events announcing it, the cache scopes it changed.</summary>
internal sealed record SavedPost<T>(T Item, string Location, IReadOnlyList<OutboxMessage> Events, IReadOnlyList<string> Scopes);

/// <summary>
/// The one way a user's question or answer is written: validated, under the user's rate-limit slot, saved with its
/// outbox rows in one transaction, announced, and dropped from the caches it changed. Each endpoint brings only its
/// insert.
/// </summary>
internal sealed class PostWriter(NpgsqlDataSource db, PageCache cache, RateLimiter limiter, OutboxSignal outbox, ApiMetrics metrics, IOptions<ApiOptions> options)
{
    /// <param name="insert">Inserts the row inside the transaction; null when the parent does not exist.</param>
    public async Task<Results<Created<T>, ProblemHttpResult>> PostAsync<T>(
        HttpContext context, PostKind kind, string rawParentId,
        Func<NpgsqlTransaction, NewPost, CancellationToken, Task<SavedPost<T>?>> insert, CancellationToken cancellationToken)
    {
        var (idName, parent) = kind == PostKind.Question ? ("courseId", "course") : ("questionId", "question");
        if (!Input.TryId(rawParentId, idName, out var parentId, out var problem)
            || !Input.TryUser(context.Request, required: true, out var user, out problem))
        {
            return problem;
        }

        var (text, invalid) = await Input.ReadTextAsync(context.Request, options.Value, cancellationToken);
        if (invalid is not null)
        {
            return invalid;
        }

        var decision = await limiter.AcquireAsync(kind, user!.Value, context.Connection.RemoteIpAddress);
        if (decision is RateLimitDecision.Rejected rejected)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(rejected.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problems.TooManyRequests($"{rejected.Reason} Try again in {seconds} s.");
        }

        // A post that is not saved (its parent is missing, the database failed) gives the slot back: only a created
        // question or answer uses it up.
        var lease = ((RateLimitDecision.Granted)decision).Lease;
        SavedPost<T>? saved = null;
        try
        {
            await using (var connection = await db.OpenConnectionAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                saved = await insert(transaction, new NewPost(parentId, user.Value, text!), cancellationToken);
                if (saved is null)
                {
                    return Problems.NotFound(parent, parentId);
                }

                await OutboxMessage.AddAsync(transaction, saved.Events, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (saved is null)
            {
                await limiter.ReleaseAsync(lease);
            }
        }

        outbox.Notify();
        metrics.Posted(kind);
        await cache.InvalidateAsync([.. saved.Scopes]);
        return TypedResults.Created(saved.Location, saved.Item);
    }
}
