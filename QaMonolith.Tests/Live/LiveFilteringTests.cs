namespace QaMonolith.Tests.Live;

public sealed class LiveFilteringTests : LiveFixture
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Test]
    public async Task CourseSubscriber_GetsAQuestionPostedToItsCourse_AndNothingPostedToAnother()
    {
        await using var client = await ConnectAsync("topics=course:1");

        // Course 2's question is published first: a socket that got it would see it before course 1's.
        await Api.AskAsync(2, "Is this for the course 2 page only?");
        var question = await Api.AskAsync(1, "Does a heap sort in place?");

        var e = await client.NextAsync();
        Assert.Multiple(() =>
        {
            Assert.That(e.GetProperty("type").GetString(), Is.EqualTo("question.created"));
            Assert.That(e.GetProperty("eventId").GetString(), Does.Match(@"^\d+-\d+$"));
            Assert.That(e.GetProperty("courseId").GetInt64(), Is.EqualTo(1));
            Assert.That(e.GetProperty("question").GetProperty("id").GetInt64(), Is.EqualTo(question.GetProperty("id").GetInt64()));
            Assert.That(e.GetProperty("question").GetProperty("text").GetString(), Is.EqualTo("Does a heap sort in place?"));
            Assert.That(e.GetProperty("question").GetRawText(), Is.EqualTo(question.GetRawText()), "the question as the API returned it");
        });
        await client.AssertQuietAsync(Quiet);
    }

    [Test]
    public async Task QuestionSubscriber_GetsAnAnswerPostedToItsQuestion_AndNothingPostedToAnother()
    {
        var mine = (await Api.AskAsync(3, "Why is a B-tree wide?")).GetProperty("id").GetInt64();
        var other = (await Api.AskAsync(3, "Why is a hash index not ordered?")).GetProperty("id").GetInt64();
        await using var client = await ConnectAsync($"topics=question:{mine}");

        await Api.AnswerAsync(other, "Hashing scatters neighbouring keys.");
        var answer = await Api.AnswerAsync(mine, "Fewer levels mean fewer page reads.");

        var e = await client.NextAsync();
        Assert.Multiple(() =>
        {
            Assert.That(e.GetProperty("type").GetString(), Is.EqualTo("answer.created"));
            Assert.That(e.GetProperty("courseId").GetInt64(), Is.EqualTo(3));
            Assert.That(e.GetProperty("questionId").GetInt64(), Is.EqualTo(mine));
            Assert.That(e.GetProperty("answer").GetRawText(), Is.EqualTo(answer.GetRawText()));
        });
        await client.AssertQuietAsync(Quiet);
    }

    [Test]
    public async Task CourseSubscriber_DoesNotGetAnswers_AndQuestionSubscriber_DoesNotGetQuestions()
    {
        var course = NewId();
        var question = NewId();
        await using var courseClient = await ConnectAsync($"topics=course:{course}");
        await using var questionClient = await ConnectAsync($"topics=question:{question}");

        var answerId = await Stream.AnswerCreatedAsync(course, question, NewId());
        var questionId = await Stream.QuestionCreatedAsync(course, question);

        Assert.That((await courseClient.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(questionId));
        Assert.That((await questionClient.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(answerId));
        await courseClient.AssertQuietAsync(Quiet);
        await questionClient.AssertQuietAsync(TimeSpan.Zero);
    }

    [Test]
    public async Task Events_ArriveInStreamOrder_WithIncreasingIds()
    {
        var course = NewId();
        await using var client = await ConnectAsync($"topics=course:{course}");

        var ids = await Stream.QuestionsCreatedAsync(course, 50);

        var events = await client.EventsAsync(50);
        Assert.That(EventIds(events), Is.EqualTo(ids));
        Assert.That(events.Select(e => e.GetProperty("question").GetProperty("id").GetInt64()), Is.EqualTo(Enumerable.Range(1, 50).Select(i => (long)i)));
        await client.AssertQuietAsync(Quiet);
    }

    [Test]
    public async Task Hello_NamesTheTopics_AndTheNewestEventId()
    {
        var course = NewId();
        var newest = await Stream.QuestionCreatedAsync(NewId(), 1);
        await Task.Delay(100);

        await using var client = await ConnectAsync($"topics=course:{course},question:7,course:{course}");

        Assert.That(client.Hello.GetProperty("topics").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { $"course:{course}", "question:7" }));
        Assert.That(client.Hello.GetProperty("lastEventId").GetString(), Is.EqualTo(newest));
    }

    [Test]
    public async Task SubscribeAndUnsubscribeMessages_ChangeWhatTheSocketGets()
    {
        var course = NewId();
        await using var client = await ConnectAsync();
        Assert.That(client.Hello.GetProperty("topics").GetArrayLength(), Is.Zero);

        await client.SendTextAsync($$"""{"type":"subscribe","topics":["course:{{course}}"]}""");
        await BarrierAsync(client);
        var first = await Stream.QuestionCreatedAsync(course, 1);
        Assert.That((await client.NextAsync()).GetProperty("eventId").GetString(), Is.EqualTo(first));

        await client.SendTextAsync($$"""{"type":"unsubscribe","topics":["course:{{course}}"]}""");
        await BarrierAsync(client);
        await Stream.QuestionCreatedAsync(course, 2);
        await client.AssertQuietAsync(Quiet);
    }

    [Test]
    public async Task MetricsEndpoint_CountsSocketsSubscriptionsAndDeliveries()
    {
        var course = NewId();
        var before = await MetricsAsync();
        await using var client = await ConnectAsync($"topics=course:{course},question:{NewId()}");
        await Stream.QuestionCreatedAsync(course, 1);
        await client.NextAsync();

        var after = await MetricsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(after.GetProperty("connections").GetInt64(), Is.EqualTo(before.GetProperty("connections").GetInt64() + 1));
            Assert.That(after.GetProperty("subscriptions").GetInt64(), Is.EqualTo(before.GetProperty("subscriptions").GetInt64() + 2));
            // The event only: hello is not one.
            Assert.That(after.GetProperty("eventsDelivered").GetInt64(), Is.EqualTo(before.GetProperty("eventsDelivered").GetInt64() + 1));
            Assert.That(after.GetProperty("eventsRead").GetInt64(), Is.GreaterThan(before.GetProperty("eventsRead").GetInt64()));
            Assert.That(after.GetProperty("readerConnected").GetBoolean(), Is.True);
            Assert.That(after.GetProperty("readerLagMs").GetInt64(), Is.GreaterThanOrEqualTo(0));
            Assert.That(after.GetProperty("droppedForOverflow").GetInt64(), Is.Zero);
            Assert.That(after.GetProperty("readerPosition").GetString(), Does.Match(@"^\d+-\d+$"));
        });
    }
}
