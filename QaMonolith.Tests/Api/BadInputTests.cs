using System.Net;
using System.Net.Http.Headers;
using System.Text;
using QaMonolith.Tests.Infrastructure;

namespace QaMonolith.Tests.Api;

/// <summary>
/// The body of a question or an answer post: each bad one is refused with a problem that names the fault, and
/// loses nothing (no row, no event, the user's rate-limit slot still free).
/// </summary>
public sealed class BadInputTests : ApiFixture
{
    private const int MaxBodyBytes = 64 * 1024;

    [Test]
    public async Task Post_EmptyOrWhiteSpaceOnlyText_Returns400AndLosesNothing(
        [Values] Target target, [Values("", " ", " \t\r\n ", "\u00a0\u2003")] string text)
    {
        await AssertRefusedAsync(target, user => PostTextAsync(target, text, user), HttpStatusCode.BadRequest, "empty");
    }

    // Code points, not characters: a test name holding a NUL cannot be selected with --filter.
    [Test]
    public async Task Post_TextWithAControlCharacter_Returns400AndLosesNothing(
        [Values] Target target, [Values(0x00, 0x01, 0x07, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f)] int control)
    {
        await AssertRefusedAsync(target, user => PostTextAsync(target, $"before {(char)control} after", user), HttpStatusCode.BadRequest, "control characters");
    }

    [Test]
    public async Task Post_TextThatIsOnlyANul_Returns400AndLosesNothing([Values] Target target)
    {
        await AssertRefusedAsync(target, user => PostTextAsync(target, "\u0000", user), HttpStatusCode.BadRequest, "control characters");
    }

    [Test]
    public async Task Post_TextOverMaxLength_Returns400AndLosesNothing([Values] Target target, [Values(4001, 10_000)] int length)
    {
        await AssertRefusedAsync(target, user => PostTextAsync(target, $"  {new string('x', length)}  ", user),
            HttpStatusCode.BadRequest, $"{length} characters");
    }

    [Test]
    public async Task Post_TextOfMaxLengthAfterTrimming_IsAccepted([Values] Target target)
    {
        var text = new string('y', 4000);

        using var response = await PostTextAsync(target, $" \n\t{text}\r\n ", ApiClient.NewUser());

        var created = await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
        Assert.That(created.GetProperty("text").GetString(), Is.EqualTo(text));
    }

    [Test]
    public async Task Post_TabsAndLineBreaksInText_AreAcceptedAndKept([Values] Target target)
    {
        const string text = "first line\n\tindented\r\nlast line";

        using var response = await PostTextAsync(target, text, ApiClient.NewUser());

        var created = await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
        Assert.That(created.GetProperty("text").GetString(), Is.EqualTo(text));
    }

    [Test]
    public async Task Post_EscapedLoneSurrogate_Returns400AndLosesNothing(
        [Values] Target target, [Values(@"\ud800", @"\udc00", @"a\ud800b", @"\ude00\ud83d")] string escaped)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body($$"""{"text":"{{escaped}}"}"""), user),
            HttpStatusCode.BadRequest, "Unicode");
    }

    [Test]
    public async Task Post_EscapedSurrogatePair_IsAcceptedAsOneCharacter([Values] Target target)
    {
        using var response = await PostAsync(target, Body("""{"text":"smile \ud83d\ude00"}"""), ApiClient.NewUser());

        var created = await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
        Assert.That(created.GetProperty("text").GetString(), Is.EqualTo("smile \U0001F600"));
    }

    [Test]
    public async Task Post_MalformedJson_Returns400AndLosesNothing(
        [Values] Target target,
        [Values("", "{", """{"text":""", "{text:\"hi\"}", "{'text':'hi'}", """{"text":"hi",}""", """{"text":"hi"}{}""", "nul", "\"open")] string body)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(body), user), HttpStatusCode.BadRequest, "not valid JSON");
    }

    [Test]
    public async Task Post_JsonThatIsNotAnObject_Returns400AndLosesNothing(
        [Values] Target target, [Values("\"hi\"", """["hi"]""", """[{"text":"hi"}]""", "42", "null", "true")] string body)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(body), user), HttpStatusCode.BadRequest, "JSON object");
    }

    [Test]
    public async Task Post_JsonWithoutText_Returns400AndLosesNothing(
        [Values] Target target, [Values("{}", """{"question":"hi"}""", """{"body":{"text":"hi"}}""")] string body)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(body), user), HttpStatusCode.BadRequest, "\"text\"");
    }

    [Test]
    public async Task Post_TextThatIsNotAString_Returns400AndLosesNothing(
        [Values] Target target,
        [Values("""{"text":42}""", """{"text":null}""", """{"text":["hi"]}""", """{"text":{"value":"hi"}}""", """{"text":true}""")] string body)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(body), user), HttpStatusCode.BadRequest, "string field \"text\"");
    }

    [Test]
    public async Task Post_ContentTypeNotJson_Returns415AndLosesNothing(
        [Values] Target target,
        [Values("text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x", "application/jsonx")] string mediaType)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(TextBody("Is this JSON?"), mediaType), user),
            HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Test]
    public async Task Post_NoContentType_Returns415AndLosesNothing([Values] Target target)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(TextBody("Is this JSON?"), mediaType: null), user),
            HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Test]
    public async Task Post_JsonContentTypeWithCharsetOrCapitals_IsAccepted(
        [Values] Target target, [Values("application/json; charset=utf-8", "Application/JSON")] string mediaType)
    {
        using var response = await PostAsync(target, Body(TextBody("Plain JSON, differently labelled."), mediaType), ApiClient.NewUser());

        await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
    }

    [Test]
    public async Task Post_BodyOver64KiBWithContentLength_Returns413AndLosesNothing([Values] Target target)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, Body(PaddedBody(MaxBodyBytes + 1)), user),
            HttpStatusCode.RequestEntityTooLarge, $"{MaxBodyBytes} bytes");
    }

    [Test]
    public async Task Post_BodyOver64KiBChunked_Returns413AndLosesNothing([Values] Target target, [Values(MaxBodyBytes + 1, 1_000_000)] int size)
    {
        await AssertRefusedAsync(target, user => PostAsync(target, new UnsizedContent(PaddedBody(size)), user),
            HttpStatusCode.RequestEntityTooLarge, $"{MaxBodyBytes} bytes");
    }

    [Test]
    public async Task Post_BodyOfExactly64KiB_IsAccepted([Values] Target target, [Values] bool chunked)
    {
        var body = PaddedBody(MaxBodyBytes);
        using var content = chunked ? new UnsizedContent(body) : Body(body);

        using var response = await PostAsync(target, content, ApiClient.NewUser());

        await ApiClient.ReadJsonAsync(response, HttpStatusCode.Created);
    }

    /// <summary>A valid post whose JSON is padded with trailing white space to exactly <paramref name="bytes"/> bytes.</summary>
    private static string PaddedBody(int bytes)
    {
        var body = TextBody("A post padded to the byte.");
        return body + new string(' ', bytes - body.Length);
    }

    /// <summary>A JSON body sent without a Content-Length (chunked), so the server cannot refuse it by its header.</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(string body)
        {
            _bytes = Encoding.UTF8.GetBytes(body);
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            // In pieces, as a client streaming its body would send it.
            for (var offset = 0; offset < _bytes.Length; offset += 8000)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(8000, _bytes.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
