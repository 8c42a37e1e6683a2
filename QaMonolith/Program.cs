using QaMonolith.Answers;
using QaMonolith.Api;
using QaMonolith.Shared;

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

var app = builder.Build();

app.MapSharedModule();
if (modules.Api)
{
    app.MapApiModule();
}

app.Run();
