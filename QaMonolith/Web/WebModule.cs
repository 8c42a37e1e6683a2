using Microsoft.Extensions.FileProviders;

namespace QaMonolith.Web;

/// <summary>
/// The browser pages: plain HTML, CSS and JavaScript modules from wwwroot, with no build step. The pages talk to the
/// rest of the app only as any browser would, over the REST API and /ws.
/// </summary>
internal static class WebModule
{
    // Each page is one HTML file; its script reads the id from the address and loads the rest over REST. The
    // pages and assets are endpoints served from memory (WebFiles), with a strong ETag and no-cache.
    private static readonly (string Pattern, string File)[] Pages =
    [
        ("/", "index.html"),
        ("/courses/{courseId:long}", "course.html"),
        ("/questions/{questionId:long}", "question.html"),
    ];

    public static void AddWebModule(this IHostApplicationBuilder builder)
    {
        // Fail at start, not with a 404 on every page: the build and the publish copy wwwroot next to the binaries,
        // so a missing folder means a broken deployment.
        var webRoot = (builder.Environment as IWebHostEnvironment)?.WebRootFileProvider;
        if (webRoot is null or NullFileProvider || !webRoot.GetFileInfo(Pages[0].File).Exists)
        {
            throw new InvalidOperationException(
                $"The Web module needs wwwroot/{Pages[0].File} under the content root {builder.Environment.ContentRootPath}; " +
                "it is copied there by the build. Rebuild, or set Modules__Web=false in a process that serves no pages.");
        }

        builder.Services.AddSingleton(WebFiles.Load(webRoot));
    }

    public static void MapWebModule(this WebApplication app)
    {
        var web = app.Services.GetRequiredService<WebFiles>();
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        foreach (var (path, file) in web.Files)
        {
            app.MapMethods("/" + path, methods, (HttpContext context) => WebFiles.Serve(context, file)).ExcludeFromDescription();
        }

        foreach (var (pattern, name) in Pages)
        {
            var page = web.Files[name];
            app.MapMethods(pattern, methods, (HttpContext context) => WebFiles.Serve(context, page)).ExcludeFromDescription();
        }
    }
}
