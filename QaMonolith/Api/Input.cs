using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace QaMonolith.Api;

/// <summary>
/// Parses what a client sends into values or a 400-family problem. Route ids, limits and the user header are
/// taken as strings and parsed here, so a bad one gets a sentence that names it instead of a bare 404 or 400.
/// </summary>
internal static class Input
{
    public const string UserHeader = "X-User-Id";
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    // PostgreSQL cannot store NUL, and no other C0 control belongs in a question; tab and line breaks do.
    private static readonly SearchValues<char> ForbiddenControls = SearchValues.Create(
        [.. Enumerable.Range(0, 32).Select(c => (char)c).Where(c => c is not ('\t' or '\n' or '\r')), '\u007f']);

    public static bool TryId(string raw, string name, out long id, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0)
        {
            problem = null;
            return true;
        }

        problem = Problems.BadRequest($"Invalid {name}", $"{name} must be a positive whole number up to {long.MaxValue}; got '{Shorten(raw)}'.");
        return false;
    }

    public static bool TryLimit(string? raw, out int limit, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        problem = null;
        limit = DefaultLimit;
        if (raw is null)
        {
            return true;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit)
        {
            return true;
        }

        problem = Problems.BadRequest("Invalid limit", $"limit must be a whole number from 1 to {MaxLimit}; got '{Shorten(raw)}'.");
        return false;
    }

    /// <summary>The caller's anonymous id: required for writes, optional for reads, a UUID either way.</summary>
    public static bool TryUser(HttpRequest request, bool required, out Guid? user, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        user = null;
        problem = null;
        var values = request.Headers[UserHeader];
        if (values.Count == 0)
        {
            if (!required)
            {
                return true;
            }

            problem = Problems.BadRequest($"Missing {UserHeader}", $"Send your anonymous user id (a UUID) in the {UserHeader} header.");
            return false;
        }

        if (values.Count == 1 && Guid.TryParse(values[0], out var parsed))
        {
            user = parsed;
            return true;
        }

        problem = Problems.BadRequest($"Invalid {UserHeader}", $"{UserHeader} must be one UUID such as 3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b.");
        return false;
    }

    /// <summary>Reads <c>{"text": "..."}</c> and returns the trimmed text, or the problem with the body.</summary>
    public static async Task<(string? Text, ProblemHttpResult? Problem)> ReadTextAsync(HttpRequest request, ApiOptions options, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json, e.g. {\"text\": \"...\"}."));
        }

        if (request.ContentLength > options.MaxBodyBytes)
        {
            return (null, TooLarge(options));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > options.MaxBodyBytes)
            {
                return (null, TooLarge(options));
            }

            buffer.Write(chunk, 0, read);
        }

        string? text;
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("text", out var element)
                || element.ValueKind != JsonValueKind.String)
            {
                return (null, Problems.BadRequest("Invalid body", "The body must be a JSON object with a string field \"text\"."));
            }

            text = element.GetString();
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest("Malformed JSON", $"The body is not valid JSON: {ex.Message}"));
        }
        catch (InvalidOperationException)
        {
            // GetString throws this for an escaped lone surrogate, which no UTF-8 text can hold.
            return (null, Problems.BadRequest("Invalid text", "text contains an invalid Unicode escape."));
        }

        text = text?.Trim() ?? "";
        var problem = text switch
        {
            "" => Problems.BadRequest("Invalid text", "text must not be empty or only white space."),
            _ when text.Length > options.MaxTextLength => Problems.BadRequest("Invalid text", $"text is {text.Length} characters long; at most {options.MaxTextLength} are allowed."),
            _ when text.AsSpan().ContainsAny(ForbiddenControls) => Problems.BadRequest("Invalid text", "text must not contain control characters other than tab and line breaks."),
            _ => null,
        };
        return problem is null ? (text, null) : (null, problem);
    }

    private static ProblemHttpResult TooLarge(ApiOptions options) =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The request body may be at most {options.MaxBodyBytes} bytes.");

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
