namespace QaMonolith.Web;

/// <summary>The headers every page and asset goes out with.</summary>
internal static class SecurityHeaders
{
    // Scripts, styles and connections only from this origin: no inline script or style, no eval, no plugins, and
    // no framing. 'self' in connect-src also covers ws:// and wss:// to this host (CSP Level 3), which is all /ws
    // needs. User and model text is rendered with textContent, so this is the second line of defence, not the first.
    internal const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
        // The files carry no version in their names, so a browser must revalidate (cheap: the ETag answers 304)
        // instead of running yesterday's script against today's API.
        headers.CacheControl = "no-cache";
    }
}
