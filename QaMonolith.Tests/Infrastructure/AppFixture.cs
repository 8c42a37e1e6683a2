namespace QaMonolith.Tests.Infrastructure;

/// <summary>
/// One app for a whole fixture and a client of it. By default the Api alone (no model answers), which is what tests
/// that count answers exactly need; a fixture overrides <see cref="AppSettings"/> for more. A derived fixture's own
/// [OneTimeSetUp] runs after this one, with <see cref="App"/> ready.
/// </summary>
public abstract class AppFixture
{
    protected QaApp App { get; private set; } = null!;

    protected ApiClient Api { get; private set; } = null!;

    protected virtual IDictionary<string, string?> AppSettings => ApiOnly.Settings();

    [OneTimeSetUp]
    public async Task StartAppAsync()
    {
        App = await QaApp.StartAsync(AppSettings);
        Api = new ApiClient(App.CreateClient());
    }

    [OneTimeTearDown]
    public async Task StopAppAsync()
    {
        Api.Dispose();
        await App.DisposeAsync();
    }
}
