using System.Globalization;

namespace QaMonolith.Live;

/// <summary>
/// The two topic shapes of the protocol: <c>course:{id}</c> and <c>question:{id}</c>, ids positive int64 in
/// canonical form. Canonical only (no sign, no leading zero), so one topic has one spelling and the registry
/// never holds <c>course:1</c> and <c>course:01</c> as two topics.
/// </summary>
internal static class Topics
{
    private const string CoursePrefix = "course:";
    private const string QuestionPrefix = "question:";

    public static string Course(long courseId) => CoursePrefix + courseId.ToString(CultureInfo.InvariantCulture);

    public static string Question(long questionId) => QuestionPrefix + questionId.ToString(CultureInfo.InvariantCulture);

    public static bool IsValid(string? topic) =>
        topic is not null
        && (HasId(topic, CoursePrefix) || HasId(topic, QuestionPrefix));

    private static bool HasId(string topic, string prefix)
    {
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var id = topic.AsSpan(prefix.Length);
        return id.Length > 0 && id[0] != '0'
            && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0;
    }
}
