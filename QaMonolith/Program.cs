using QaMonolith.Answers;
using QaMonolith.Api;
using QaMonolith.Live;
using QaMonolith.Shared;
using QaMonolith.Web;

// The root appsettings.json is linked next to the binaries; reading from there makes `dotnet run` and a publish
// see the same file.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

var modules = builder.AddSharedModule();
if (modules.Api)
{
    builder.AddApiModule();
}

if (modules.Answers)
{
    builder.AddAnswersModule();
}

if (modules.Live)
{
    builder.AddLiveModule();
}

if (modules.Web)
{
    builder.AddWebModule();
}

var app = builder.Build();

app.MapSharedModule();
if (modules.Api)
{
    app.MapApiModule();
}

if (modules.Live)
{
    app.MapLiveModule();
}

if (modules.Web)
{
    app.MapWebModule();
}

app.Run();
