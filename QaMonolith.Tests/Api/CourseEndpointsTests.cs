using System.Net;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

public sealed class CourseEndpointsTests : ApiFixture
{
    [Test]
    public async Task ListCourses_ReturnsSeededCoursesWithDescriptions()
    {
        var courses = await Api.GetJsonAsync("/api/courses");

        var items = courses.GetProperty("items").EnumerateArray().ToList();
        Assert.That(items, Has.Count.GreaterThanOrEqualTo(5));
        Assert.That(items.Select(c => c.GetProperty("description").GetString()), Is.All.Not.Empty);
        Assert.That(items.Select(c => c.GetProperty("name").GetString()), Does.Contain("Databases"));
    }

    [Test]
    public async Task ListCourses_CountsQuestionsRightAfterAPost()
    {
        var before = await CourseAsync("Operating Systems");

        await Api.AskAsync(before.GetProperty("id").GetInt64(), "Why does fork copy on write?");

        var after = await CourseAsync("Operating Systems");
        Assert.That(after.GetProperty("questionCount").GetInt32(), Is.EqualTo(before.GetProperty("questionCount").GetInt32() + 1));
    }

    [Test]
    public async Task GetCourse_KnownId_ReturnsIt()
    {
        var listed = await CourseAsync("Linear Algebra");

        var course = await Api.GetJsonAsync($"/api/courses/{listed.GetProperty("id").GetInt64()}");

        Assert.That(course.GetProperty("name").GetString(), Is.EqualTo("Linear Algebra"));
        Assert.That(course.GetProperty("questionCount").GetInt32(), Is.EqualTo(listed.GetProperty("questionCount").GetInt32()));
    }

    [Test]
    public async Task GetCourse_UnknownId_Returns404()
    {
        using var response = await Api.GetAsync("/api/courses/999999");
        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "999999");
    }

    [TestCase("abc")]
    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("1.5")]
    [TestCase("99999999999999999999")]
    public async Task GetCourse_IdNotAPositiveNumber_Returns400(string id)
    {
        using var response = await Api.GetAsync($"/api/courses/{id}");
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "courseId");
    }

    private async Task<System.Text.Json.JsonElement> CourseAsync(string name) =>
        (await Api.GetJsonAsync("/api/courses")).GetProperty("items").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
