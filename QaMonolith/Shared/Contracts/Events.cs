using System.Text.Json.Serialization;

namespace QaMonolith.Shared.Contracts;

/// <summary>The <c>type</c> field of every stream entry.</summary>
internal static class EventTypes
{
    public const string QuestionAsked = "question.asked";
    public const string QuestionCreated = "question.created";
    public const string AnswerCreated = "answer.created";
    public const string AnswerDelta = "answer.delta";
}

/// <summary>On <c>qa:questions</c>, for the Answers module.</summary>
internal sealed record QuestionAsked(long QuestionId, long CourseId, string CourseName, string Text, DateTime AskedAt);

/// <summary>On <c>qa:events</c>, for <c>course:{id}</c> subscribers.</summary>
internal sealed record QuestionCreated(long CourseId, Question Question);

/// <summary>
/// On <c>qa:events</c>, for <c>question:{id}</c> subscribers. <paramref name="Slot"/> is the model answer's slot (null
/// for a user's answer), so a page can swap the slot's growing placeholder for the saved answer in place.
/// </summary>
internal sealed record AnswerCreated(
    long CourseId, long QuestionId, Answer Answer, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Slot = null);

/// <summary>
/// On <c>qa:live</c>, for <c>question:{id}</c> subscribers: the text a model has written so far in one slot. Ephemeral:
/// never replayed, may be lost; <see cref="Seq"/> grows per slot, so a reader keeps the highest it saw.
/// </summary>
internal sealed record AnswerDelta(long CourseId, long QuestionId, int Slot, int Seq, string Text);
