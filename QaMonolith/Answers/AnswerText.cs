using System.Text;

namespace QaMonolith.Answers;

internal static class AnswerText
{
    private const string Ellipsis = "…";

    /// <summary>
    /// What of a model's output can be saved: trimmed, without the control characters PostgreSQL or a page would
    /// choke on (NUL above all), and at most <paramref name="maxLength"/> characters, cut at a word boundary.
    /// </summary>
    public static string Clean(string? text, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\t' or '\n' or '\r' || !char.IsControl(c))
            {
                builder.Append(c);
            }
        }

        return Cut(builder.ToString().Trim(), maxLength);
    }

    /// <summary>Cuts at the last white space that leaves room for an ellipsis; a single enormous word is cut where it must.</summary>
    public static string Cut(string text, int maxLength)
    {
        if (text.Length <= maxLength)
        {
            return text;
        }

        var limit = maxLength - Ellipsis.Length;
        var cut = limit;
        while (cut > 0 && !char.IsWhiteSpace(text[cut]))
        {
            cut--;
        }

        if (cut < limit / 2)
        {
            // No word boundary in the second half: cutting there would throw away too much.
            cut = char.IsLowSurrogate(text[limit]) ? limit - 1 : limit;
        }

        return text[..cut].TrimEnd() + Ellipsis;
    }
}
