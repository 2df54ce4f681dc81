using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GradGen.Dashboard;

/// <summary>Serves a <see cref="DashboardFeed"/> to a browser with Kestrel: the page and its assets, the records as
/// JSON lines (<c>/api/records</c>) and as Server-Sent Events (<c>/api/events</c>: the stored records, then each new
/// one). One listener, on 127.0.0.1 unless told otherwise. Every endpoint is a GET that reads; any other path is 404,
/// no file is read from disk, and no CORS header is sent, so a page from another origin cannot read the data. On
/// loopback, requests must name the host as 127.0.0.1 or localhost, which stops a DNS-rebinding page too.</summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The page's address, with the port the listener got.</summary>
    public Uri Url { get; }

    /// <summary>Starts serving <paramref name="feed"/> on <paramref name="address"/>:<paramref name="port"/> (port 0:
    /// a free port). An address other than loopback writes a warning to <paramref name="warnings"/>: whoever can reach
    /// the machine can then read the training statistics.</summary>
    public static async Task<DashboardServer> StartAsync(DashboardFeed feed, IPAddress? address = null, int port = 0, TextWriter? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(feed);
        address ??= IPAddress.Loopback;
        if (port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a port is 0 (any free port) to 65535");
        bool loopback = IPAddress.IsLoopback(address);
        if (!loopback)
            (warnings ?? Console.Error).WriteLine($"warning: the dashboard listens on {address}, not on loopback: anyone who can reach this machine on port {(port == 0 ? "(chosen below)" : port)} can read the training statistics");

        // The page's assets are embedded, and the server reads no settings files. By default the host would take the
        // working directory as its content root and watch it, recursively, for changes to appsettings.json: one
        // inotify watch per directory under wherever the user started training (892 for a clone of this repository).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        // The training process owns Ctrl+C and SIGTERM: the default host lifetime would take them over to stop the
        // server, and the process would then no longer stop on them while it trains.
        builder.Services.AddSingleton<IHostLifetime, ProcessLifetime>();
        // One listener, exactly where asked: Listen() replaces any URLs from ASPNETCORE_URLS or configuration.
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(address, port);
        });
        builder.Services.AddHostFiltering(options =>
        {
            options.AllowedHosts = loopback ? ["127.0.0.1", "localhost", "[::1]"] : ["*"];
            options.AllowEmptyHosts = false;
        });
        var app = builder.Build();
        app.UseHostFiltering();
        app.Use(async (context, next) =>
        {
            // The page loads only its own scripts and styles and connects only to this server.
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
            await next(context);
        });

        var assets = Assets.Load();
        app.MapGet("/", () => assets["index.html"].Result());
        app.MapGet("/assets/{name}", (string name) => assets.TryGetValue(name, out var asset) ? asset.Result() : Results.NotFound());
        app.MapGet("/api/records", () => Results.Text(string.Join('\n', feed.Snapshot()) + "\n", "application/x-ndjson", Encoding.UTF8));
        app.MapGet("/api/events", (HttpContext context) => StreamEventsAsync(context, feed, app.Lifetime.ApplicationStopping));

        await app.StartAsync().ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var url = new UriBuilder(bound) { Path = "/" }.Uri; // "http://127.0.0.1:41881/", with the port the listener got
        // A listener on every address (0.0.0.0, [::]) is reached on loopback.
        var reachable = address.Equals(IPAddress.Any) ? IPAddress.Loopback : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : address;
        await WarmUpAsync(new UriBuilder(url) { Host = reachable.ToString() }.Uri, assets.Keys).ConfigureAwait(false);
        return new DashboardServer(app, url);
    }

    /// <summary>Requests what a page does, once, before the server is handed out (so before training starts): the page,
    /// its assets, the records, a missing path, and the event stream up to its first event. Tiered compilation starts
    /// counting calls to a process's methods only after 100 ms in which no method ran for the first time, so the
    /// server's first requests, if served while training, would hold the training code at tier 0 for a second or more
    /// (docs/dashboard-overhead.md: the first epochs with a page open trained 10-20% slower than with <c>--log</c>).
    /// Here Kestrel's code paths run for the first time before there is training code to hold back.</summary>
    private static async Task WarmUpAsync(Uri url, IEnumerable<string> assets)
    {
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        string[] paths = ["", .. assets.Select(name => "assets/" + name), "api/records", "assets/missing"];
        foreach (string path in paths)
        {
            using var response = await client.GetAsync(path).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
        }
        using var events = await client.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        using var stream = await events.Content.ReadAsStreamAsync().ConfigureAwait(false);
        // The stream never ends while the feed lives: read up to the end of its first event ("event: reset\ndata: {}\n\n").
        var buffer = new byte[256];
        int read, blankLine = 0;
        while (blankLine < 2 && (read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            for (int i = 0; i < read && blankLine < 2; i++) blankLine = buffer[i] == '\n' ? blankLine + 1 : 0;
        }
    }

    /// <summary>Server-Sent Events: a "reset" event, the stored records, then every new record as it is published,
    /// a pump tick's records in one write, until the page goes away or the feed ends. A page that reconnects gets a reset and the whole store again.</summary>
    private static async Task StreamEventsAsync(HttpContext context, DashboardFeed feed, CancellationToken stopping)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        var (snapshot, updates, handle) = feed.Subscribe();
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = ended.Token;
        try
        {
            var text = new StringBuilder("event: reset\ndata: {}\n\n");
            foreach (string record in snapshot) text.Append("data: ").Append(record).Append("\n\n");
            await response.WriteAsync(text.ToString(), token).ConfigureAwait(false);
            await response.Body.FlushAsync(token).ConfigureAwait(false);
            while (await updates.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (updates.TryRead(out byte[]? events)) await response.Body.WriteAsync(events, token).ConfigureAwait(false);
                await response.Body.FlushAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
        finally
        {
            feed.Unsubscribe(handle);
        }
    }

    /// <summary>Stops listening; open event streams are cut.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A host lifetime that leaves the process's signals alone.</summary>
    private sealed class ProcessLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The page's files, embedded in this assembly: the only files served.</summary>
    private sealed record Assets(byte[] Content, string ContentType)
    {
        private const string Prefix = "GradGen.Dashboard.wwwroot.";

        public IResult Result() => Results.Bytes(Content, ContentType);

        public static Dictionary<string, Assets> Load()
        {
            var assembly = Assembly.GetExecutingAssembly();
            var assets = new Dictionary<string, Assets>(StringComparer.Ordinal);
            foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
            {
                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                string name = resource[Prefix.Length..];
                assets[name] = new Assets(memory.ToArray(), ContentTypeOf(name));
            }
            return assets;
        }

        private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        };
    }
}
