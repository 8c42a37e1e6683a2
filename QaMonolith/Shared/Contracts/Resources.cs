namespace QaMonolith.Shared.Contracts;

// The shapes a client sees, shared because events carry them too. Add fields, never rename.

internal sealed record Question(
    long Id,
    long CourseId,
    string Text,
    int Upvotes,
    int AnswerCount,
    DateTime CreatedAt,
    DateTime LastActivityAt,
    bool UpvotedByMe);

internal sealed record Answer(
    long Id,
    long QuestionId,
    string Text,
    int Upvotes,
    DateTime CreatedAt,
    DateTime LastActivityAt,
    AnswerAuthor Author,
    bool UpvotedByMe);

internal sealed record AnswerAuthor(
    string Kind,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Model = null)
{
    public static readonly AnswerAuthor User = new("user");

    public static AnswerAuthor Llm(string model) => new("llm", model);
}
