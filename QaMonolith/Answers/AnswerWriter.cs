namespace QaMonolith.Answers;

/// <summary>A question as the writers see it: what was asked, and in which course.</summary>
internal sealed record QuestionToAnswer(long QuestionId, long CourseId, string CourseName, string Text);

/// <summary>One answer ready to save, with the model that wrote it (<c>author.model</c>).</summary>
internal sealed record Draft(string Text, string Model);

/// <summary>
/// How many answers a question gets and how each is written. A model fills every slot; Offline only as many as it
/// found earlier discussions for, or a single notice.
/// </summary>
internal sealed record AnswerPlan(int Slots, Func<int, CancellationToken, Task<Draft>> WriteAsync);

/// <summary>The seam that is slow and not deterministic: whatever writes the answers.</summary>
internal interface IAnswerWriter
{
    /// <summary>For the startup log: the provider and the model it uses.</summary>
    string Description { get; }

    Task<AnswerPlan> PlanAsync(QuestionToAnswer question, CancellationToken cancellationToken);
}
