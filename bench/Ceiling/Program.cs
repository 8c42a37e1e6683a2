// A fixed 20-item JSON list from memory, the same shape and size as a page of questions: the most any endpoint
// of the real app could do here, so every figure of the benchmark is reported as a ratio to it.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var now = DateTime.UtcNow;
var page = new
{
    items = Enumerable.Range(1, 20).Select(i => new
    {
        id = i,
        courseId = 1,
        text = $"How does question number {i} relate to the material of this week's lecture?",
        upvotes = i % 7,
        answerCount = i % 4,
        createdAt = now,
        lastActivityAt = now,
        upvotedByMe = false,
    }).ToArray(),
    nextCursor = "AQFjAAAAAAAAAAEABj8yNKmyAAAAAAAAAAFAq3xa8ckP3A",
};

app.MapGet("/", () => Results.Ok(page));
app.Run();
