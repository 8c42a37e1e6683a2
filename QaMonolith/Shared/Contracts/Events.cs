namespace QaMonolith.Shared.Contracts;

/// <summary>The <c>type</c> field of every stream entry.</summary>
internal static class EventTypes
{
    public const string QuestionAsked = "question.asked";
    public const string QuestionCreated = "question.created";
    public const string AnswerCreated = "answer.created";
}

/// <summary>On <c>qa:questions</c>, for the Answers module.</summary>
internal sealed record QuestionAsked(long QuestionId, long CourseId, string CourseName, string Text, DateTime AskedAt);

/// <summary>On <c>qa:events</c>, for <c>course:{id}</c> subscribers.</summary>
internal sealed record QuestionCreated(long CourseId, Question Question);

/// <summary>On <c>qa:events</c>, for <c>question:{id}</c> subscribers.</summary>
internal sealed record AnswerCreated(long CourseId, long QuestionId, Answer Answer);
