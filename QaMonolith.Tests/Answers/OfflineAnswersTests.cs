using System.Text.Json;
using QaMonolith.Tests.Infrastructure;
using static QaMonolith.Tests.Answers.AnswersKit;

namespace QaMonolith.Tests.Answers;

/// <summary>The default provider, with no model: earlier discussions of the same course, found by full-text search.</summary>
public sealed class OfflineAnswersTests
{
    [Test]
    public async Task RelatedQuestion_QuotesTheMatchingEarlierDiscussionOfItsCourse_AndSaysWhichQuestion()
    {
        await using var app = await QaApp.StartAsync(FastWorker());
        using var api = new ApiClient(app.CreateClient());
        var btree = await AskAsync(api, "How does a B-tree index speed up range queries?", courseId: 3);
        await api.AnswerAsync(btree, "The keys are sorted in the leaves, so a range scan finds the first key and walks the leaves in order.");
        var wal = await AskAsync(api, "What is write-ahead logging for?", courseId: 3);
        await api.AnswerAsync(wal, "Durability: the log reaches the disk before the data pages do.");
        var otherCourse = await AskAsync(api, "Do file systems use B-tree indexes for range scans of directories?", courseId: 2);
        foreach (var id in new[] { btree, wal, otherCourse })
        {
            await Eventually.TrueAsync(async () => !await OwedAsync(app, id), Soon, $"question {id} answered");
        }

        var related = await AskAsync(api, "Why are B-tree indexes good for range scans?", courseId: 3);
        await Eventually.TrueAsync(async () => !await OwedAsync(app, related), Soon, "the related question answered");

        var answers = await AnswersAsync(api, related);
        var texts = answers.Select(a => a.GetProperty("text").GetString()!).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(answers, Has.Length.EqualTo(1), string.Join("\n---\n", texts));
            Assert.That(texts[0], Does.Contain($"#{btree}").And.Contain("How does a B-tree index speed up range queries?"));
            Assert.That(texts[0], Does.Contain("The keys are sorted in the leaves"), "it quotes the discussion's answer");
            Assert.That(texts[0], Does.Contain("No language model is configured"), "it says what it is");
            Assert.That(texts, Has.None.Contain($"#{otherCourse}"), "only discussions of the same course");
            Assert.That(answers.Select(a => a.GetProperty("author").GetProperty("model").GetString()), Is.All.EqualTo("offline"));
            Assert.That(answers.Select(a => a.GetProperty("author").GetProperty("kind").GetString()), Is.All.EqualTo("llm"));
        });
    }

    [Test]
    public async Task SeveralMatches_EachAnswerQuotesADifferentDiscussion_BestFirst()
    {
        await using var app = await QaApp.StartAsync(FastWorker());
        using var api = new ApiClient(app.CreateClient());
        long[] earlier =
        [
            await AskAsync(api, "When should I normalise a schema to third normal form?"),
            await AskAsync(api, "Does normalisation slow down joins in a schema?"),
            await AskAsync(api, "What is denormalisation of a schema good for?"),
            await AskAsync(api, "Is a star schema normalised?"),
        ];
        foreach (var id in earlier)
        {
            await Eventually.TrueAsync(async () => !await OwedAsync(app, id), Soon, $"question {id} answered");
        }

        var question = await AskAsync(api, "How far should I normalise my schema?");
        await Eventually.TrueAsync(async () => !await OwedAsync(app, question), Soon, "the question answered");

        var slots = await SlotsAsync(app, question);
        var quoted = slots.Select(s => earlier.Single(id => s.Text.Contains($"#{id}:", StringComparison.Ordinal))).ToArray();
        Assert.That(slots, Has.Count.EqualTo(3), "AnswersPerQuestion answers when there is enough material");
        Assert.That(quoted, Is.Unique, "a different discussion in each answer");
    }

    [Test]
    public async Task NothingMatches_ExactlyOneAnswerSaysNoModelIsConfigured_AndHowToConfigureOne()
    {
        await using var app = await QaApp.StartAsync(FastWorker());
        using var api = new ApiClient(app.CreateClient());

        var question = await AskAsync(api, "Xylophones and zebras?", courseId: 6);
        await Eventually.TrueAsync(async () => !await OwedAsync(app, question), Soon, "the question answered");

        JsonElement[] answers = await AnswersAsync(api, question);
        Assert.That(answers, Has.Length.EqualTo(1));
        var text = answers[0].GetProperty("text").GetString();
        Assert.That(text, Does.Contain("No language model is configured").And.Contain("Llm:Provider").And.Contain("Llm:Endpoint").And.Contain("Llm:ModelPath"));
        Assert.That(answers[0].GetProperty("author").GetProperty("model").GetString(), Is.EqualTo("offline"));
        Assert.That((await api.GetJsonAsync($"/api/questions/{question}")).GetProperty("answerCount").GetInt32(), Is.EqualTo(1));
    }
}
