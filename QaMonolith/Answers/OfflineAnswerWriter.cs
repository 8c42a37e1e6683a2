using Dapper;
using Npgsql;

namespace QaMonolith.Answers;

/// <summary>
/// No model at all: each answer points to a different earlier discussion of the same course that PostgreSQL's
/// full-text search finds related, quoting its question and best answer. When nothing matches, a single answer
/// says so and how to configure a model. Answers it wrote itself are never quoted.
/// </summary>
internal sealed class OfflineAnswerWriter(NpgsqlDataSource dataSource, LlmOptions options) : IAnswerWriter
{
    public const string Model = "offline";

    // Any shared word counts (an OR of the question's lexemes), ranked by how well the earlier question and its
    // answers match; the question's own words weigh double. The GIN indexes of 0002 serve the @@ filters.
    private const string SearchSql = """
        with terms as (
            select to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) as query
            from unnest(to_tsvector('english', @Text))
        ),
        hits as (
            select q.id as question_id, 2 * ts_rank(to_tsvector('english', q.text), t.query) as rank
            from questions q cross join terms t
            where q.course_id = @CourseId and q.id < @QuestionId and to_tsvector('english', q.text) @@ t.query
            union all
            select a.question_id, ts_rank(to_tsvector('english', a.text), t.query)
            from answers a join questions q on q.id = a.question_id cross join terms t
            where q.course_id = @CourseId and a.question_id < @QuestionId and a.llm_model is distinct from 'offline'
              and to_tsvector('english', a.text) @@ t.query
        ),
        ranked as (
            select question_id, sum(rank) as rank from hits
            group by question_id
            order by rank desc, question_id desc
            limit @Take
        )
        select r.question_id, q.text as question_text, best.text as answer_text
        from ranked r
        join questions q on q.id = r.question_id
        left join lateral (
            select a.text from answers a
            where a.question_id = r.question_id and a.llm_model is distinct from 'offline'
            order by a.upvotes desc, (a.author_id is not null) desc, a.id
            limit 1) best on true
        order by r.rank desc, r.question_id desc
        """;

    private sealed record Discussion(long QuestionId, string QuestionText, string? AnswerText);

    public string Description => "Offline (no language model: answers quote earlier discussions of the course), model offline";

    public async Task<AnswerPlan> PlanAsync(QuestionToAnswer question, CancellationToken cancellationToken)
    {
        List<Discussion> found;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            found = (await connection.QueryAsync<Discussion>(new CommandDefinition(
                SearchSql,
                new { question.Text, question.CourseId, question.QuestionId, Take = options.AnswersPerQuestion },
                cancellationToken: cancellationToken))).AsList();
        }

        var drafts = found.Count == 0
            ? [new Draft(Notice(question.CourseName), Model)]
            : found.Select(d => new Draft(AnswerText.Cut(Quote(question.CourseName, d), options.MaxAnswerLength), Model)).ToArray();
        return new AnswerPlan(drafts.Length, (slot, _) => Task.FromResult(drafts[slot]));
    }

    private static string Quote(string course, Discussion discussion) =>
        $"No language model is configured, so here is an earlier discussion from {course} that looks related.\n\n"
        + $"Earlier question #{discussion.QuestionId}: \"{discussion.QuestionText}\"\n\n"
        + (discussion.AnswerText is { } answer ? $"Its best answer: \"{answer}\"" : "It has no answers yet; have a look at it later.");

    private static string Notice(string course) =>
        $"No language model is configured on this site, and no earlier discussion in {course} matches this question, so there is no automatic answer yet. "
        + "To have a model answer, set Llm:Provider=Local with Llm:ModelPath (a GGUF model file, run inside the app), "
        + "Llm:Provider=OpenAI with Llm:Endpoint (for example http://localhost:11434/v1 for Ollama) and Llm:Model, "
        + "or Llm:Provider=LlmApi with Llm:Endpoint; the README shows each.";
}
