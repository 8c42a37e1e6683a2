namespace QaMonolith.Shared.Contracts;

/// <summary>
/// Names of the cached read models a write can make stale. A writer in any module publishes them on
/// <see cref="Channel"/> after its commit; every process holding a cache drops what they name.
/// </summary>
internal static class CacheScopes
{
    public const string Channel = "qa:cache";

    public const string Courses = "courses";

    public static string CourseQuestions(long courseId) => $"course:{courseId}";

    public static string QuestionAnswers(long questionId) => $"question:{questionId}";

    /// <summary>One reader's own upvotes; only that reader's votes change them.</summary>
    public static string ReaderVotes(Guid userId) => $"votes:{userId:N}";
}
