using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace QaMonolith.Web;

/// <summary>One file of wwwroot as it goes out: its bytes, media type and a strong ETag of its content.</summary>
internal sealed record WebFile(byte[] Content, string ContentType, string ETag);

/// <summary>
/// wwwroot read once at start and served from memory: a few small files, unchanged until the next deployment.
/// Served as endpoints, so no other request pays a file-system lookup, and a page costs no disk access at all.
/// </summary>
internal sealed class WebFiles(FrozenDictionary<string, WebFile> files)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>By path under wwwroot, with forward slashes (<c>js/page.js</c>).</summary>
    public FrozenDictionary<string, WebFile> Files { get; } = files;

    public static WebFiles Load(IFileProvider root)
    {
        var files = new Dictionary<string, WebFile>(StringComparer.Ordinal);
        Add(root, "", files);
        return new WebFiles(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static void Add(IFileProvider root, string folder, Dictionary<string, WebFile> files)
    {
        foreach (var entry in root.GetDirectoryContents(folder))
        {
            var path = folder.Length == 0 ? entry.Name : $"{folder}/{entry.Name}";
            if (entry.IsDirectory)
            {
                Add(root, path, files);
                continue;
            }

            using var stream = entry.CreateReadStream();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var type = ContentTypes.TryGetContentType(entry.Name, out var known) ? known : "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/javascript" or "text/javascript" or "image/svg+xml")
            {
                type += "; charset=utf-8";
            }

            files[path] = new WebFile(content, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12))}\"");
        }
    }

    /// <summary>The file with the page's headers; 304 when the browser's copy is current; the body only for GET.</summary>
    public static Task Serve(HttpContext context, WebFile file)
    {
        var response = context.Response;
        SecurityHeaders.Apply(response);
        response.Headers.ETag = file.ETag;
        if (context.Request.Headers.IfNoneMatch is { Count: > 0 } ifNoneMatch && Matches(ifNoneMatch, file.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = file.ContentType;
        response.ContentLength = file.Content.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(file.Content).AsTask();
    }

    private static bool Matches(StringValues ifNoneMatch, string etag) =>
        EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags) && tags.Any(t => t.Tag == "*" || t.Tag.Equals(etag, StringComparison.Ordinal));
}
