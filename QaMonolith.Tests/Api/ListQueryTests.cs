using System.Buffers.Binary;
using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// What a list accepts in its query: limit 1..100, and only a cursor it handed out itself; anything else is a 400
/// that names the parameter. How pages order and follow each other is tested elsewhere.
/// </summary>
public sealed class ListQueryTests : ApiFixture
{
    /// <summary>The two paged lists.</summary>
    public enum Listing
    {
        CourseQuestions,
        QuestionAnswers,
    }

    private long _otherCourseId;
    private long _otherQuestionId;

    [OneTimeSetUp]
    public async Task FillListsAsync()
    {
        // Two pages' worth in each list, so each hands out a cursor.
        await AskAsync(CourseId);
        _otherCourseId = await CourseIdAsync("Operating Systems");
        _otherQuestionId = await AskAsync(_otherCourseId);
        await AskAsync(_otherCourseId);
        foreach (var question in new[] { QuestionId, QuestionId, _otherQuestionId, _otherQuestionId })
        {
            await AnswerAsync(question);
        }
    }

    [Test]
    public async Task List_LimitOutOfRangeOrNotAWholeNumber_Returns400(
        [Values] Listing list, [Values("0", "101", "-1", "abc", "1.5", "1e2", "+5", "99999999999", "")] string limit)
    {
        using var response = await Api.GetAsync($"{PathOf(list)}?limit={Uri.EscapeDataString(limit)}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "limit");
    }

    [Test]
    public async Task List_LimitAtTheBounds_IsAccepted([Values] Listing list, [Values(1, 100)] int limit)
    {
        var page = await Api.GetJsonAsync($"{PathOf(list)}?limit={limit}");

        Assert.That(page.GetProperty("items").GetArrayLength(), Is.InRange(1, limit));
    }

    [Test]
    public async Task List_LimitOne_ReturnsOneItemAndACursor([Values] Listing list)
    {
        var page = await Api.GetJsonAsync($"{PathOf(list)}?limit=1");

        Assert.That(page.GetProperty("items").GetArrayLength(), Is.EqualTo(1));
        Assert.That(page.GetProperty("nextCursor").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task List_CursorWithAnyOneCharacterChanged_Returns400([Values] Listing list)
    {
        var cursor = await NextCursorAsync(PathOf(list));

        for (var i = 0; i < cursor.Length; i++)
        {
            using var response = await Api.GetAsync($"{PathOf(list)}?limit=1&cursor={Uri.EscapeDataString(ChangeCharacter(cursor, i))}");
            await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "cursor");
        }
    }

    [Test]
    public async Task List_GarbageCursor_Returns400(
        [Values] Listing list, [Values("garbage", "a", "AAAA", "!!!!", "====", "%00", "eyJpZCI6MX0", "null", "-1")] string cursor)
    {
        using var response = await Api.GetAsync($"{PathOf(list)}?cursor={Uri.EscapeDataString(cursor)}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "cursor");
    }

    [Test]
    public async Task List_VeryLongCursor_Returns400([Values] Listing list)
    {
        using var response = await Api.GetAsync($"{PathOf(list)}?cursor={new string('A', 4000)}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "cursor");
    }

    [Test]
    public async Task ListQuestions_CursorOfAnotherCourse_Returns400()
    {
        var cursor = await NextCursorAsync($"/api/courses/{_otherCourseId}/questions");

        using var response = await Api.GetAsync($"/api/courses/{CourseId}/questions?cursor={cursor}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "cursor");
    }

    [Test]
    public async Task ListAnswers_CursorOfAnotherQuestion_Returns400()
    {
        var cursor = await NextCursorAsync($"/api/questions/{_otherQuestionId}/answers");

        using var response = await Api.GetAsync($"/api/questions/{QuestionId}/answers?cursor={cursor}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "cursor");
    }

    [Test]
    public async Task List_CursorOfTheOtherKindOfListWithTheSameId_Returns400()
    {
        // Same id, other kind of list: a course-list cursor for course 3 is no cursor for question 3's answers.
        using var questions = await Api.GetAsync($"/api/courses/{QuestionId}/questions?cursor={ForgedCursor('q', QuestionId, NowMicros(), 1)}");
        using var answers = await Api.GetAsync($"/api/questions/{QuestionId}/answers?cursor={ForgedCursor('c', QuestionId, NowMicros(), 1)}");

        await Problem.AssertAsync(questions, HttpStatusCode.BadRequest, "cursor");
        await Problem.AssertAsync(answers, HttpStatusCode.BadRequest, "cursor");
    }

    [Test]
    public async Task List_ForgedCursorWithAPossibleTime_IsFollowed([Values] Listing list)
    {
        // Proves the forgery below is one the app accepts, so the next test reaches past the tag check.
        var page = await Api.GetJsonAsync($"{PathOf(list)}?cursor={ForgedCursor(list, NowMicros() + 60_000_000, long.MaxValue)}");

        Assert.That(page.GetProperty("items").GetArrayLength(), Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task List_ForgedCursorWithATimeNoDateCanHold_Returns400(
        [Values] Listing list, [Values(300_000_000_000_000_000L, -300_000_000_000_000_000L)] long micros)
    {
        using var response = await Api.GetAsync($"{PathOf(list)}?cursor={ForgedCursor(list, micros, 1)}");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "cursor");
    }

    private string PathOf(Listing list) =>
        list == Listing.CourseQuestions ? $"/api/courses/{CourseId}/questions" : $"/api/questions/{QuestionId}/answers";

    private async Task<string> NextCursorAsync(string path)
    {
        var cursor = (await Api.GetJsonAsync($"{path}?limit=1")).GetProperty("nextCursor").GetString();
        Assert.That(cursor, Is.Not.Empty);
        return cursor!;
    }

    /// <summary>
    /// Replaces one base64url character by the one 32 places away in the alphabet: that flips the character's
    /// highest bit, which carries data even in the last character (whose low bits are padding).
    /// </summary>
    private static string ChangeCharacter(string cursor, int index)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var chars = cursor.ToCharArray();
        chars[index] = alphabet[alphabet.IndexOf(chars[index], StringComparison.Ordinal) ^ 32];
        return new string(chars);
    }

    private static long NowMicros() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;

    private string ForgedCursor(Listing list, long micros, long id) =>
        list == Listing.CourseQuestions ? ForgedCursor('c', CourseId, micros, id) : ForgedCursor('q', QuestionId, micros, id);

    /// <summary>
    /// A cursor made the way Api/Cursor.cs makes one. Its tag key is in the source, so anyone can forge a cursor;
    /// the app must still answer a forged one with a 400 at worst, never a 500.
    /// </summary>
    private static string ForgedCursor(char scope, long scopeId, long micros, long id)
    {
        var bytes = new byte[34];
        bytes[0] = 1;
        bytes[1] = (byte)scope;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(2), scopeId);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(10), micros);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(18), id);
        HMACSHA256.HashData(Encoding.UTF8.GetBytes("QaMonolith cursor v1"), bytes.AsSpan(0, 26)).AsSpan(0, 8).CopyTo(bytes.AsSpan(26));
        return Base64Url.EncodeToString(bytes);
    }
}
