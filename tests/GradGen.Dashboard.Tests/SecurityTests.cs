using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace GradGen.Dashboard.Tests;

/// <summary>The server's defaults: one listener on loopback, read-only endpoints, nothing served beyond the page's
/// assets, no CORS header, requests only for the loopback host names, and a warning when told to bind elsewhere.</summary>
public class SecurityTests
{
    [Fact]
    public async Task ItListensOnLoopbackOnlyWithOneListener()
    {
        using var feed = new DashboardFeed();
        await using var server = await DashboardServer.StartAsync(feed);
        Assert.Equal("127.0.0.1", server.Url.Host);
        var listeners = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == server.Url.Port).ToList();
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, server.Url.Port)], listeners);

        // And from this machine's other addresses, the port is closed.
        var others = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address).Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).ToList();
        foreach (var address in others)
        {
            using var client = new TcpClient();
            await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(address, server.Url.Port));
        }
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/assets/../GradGen.Dashboard.dll")]
    [InlineData("/assets/..%2fGradGen.Dashboard.dll")]
    [InlineData("/assets/%2e%2e%2f%2e%2e%2fGradGen.sln")]
    [InlineData("/assets/missing.js")]
    [InlineData("/GradGen.Dashboard.dll")]
    [InlineData("/wwwroot/dashboard.js")]
    [InlineData("/appsettings.json")]
    [InlineData("/api")]
    [InlineData("/api/records/1")]
    public async Task APathOutsideTheAssetsIs404(string path)
    {
        using var feed = new DashboardFeed();
        await using var server = await DashboardServer.StartAsync(feed);
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(server.Url, path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/assets/dashboard.js")]
    [InlineData("/assets/uplot.iife.min.js")]
    [InlineData("/assets/uplot.min.css")]
    [InlineData("/assets/uplot.LICENSE.md")]
    [InlineData("/api/records")]
    public async Task TheAssetsAndRecordsAreServedWithoutCorsHeaders(string path)
    {
        using var feed = new DashboardFeed();
        await using var server = await DashboardServer.StartAsync(feed);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, path));
        request.Headers.Add("Origin", "http://attacker.example");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());

        // A CORS preflight gets no permission either.
        using var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri(server.Url, path));
        preflight.Headers.Add("Origin", "http://attacker.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        var answer = await http.SendAsync(preflight);
        Assert.False(answer.IsSuccessStatusCode, $"OPTIONS {path}: {answer.StatusCode}");
        Assert.DoesNotContain(answer.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("POST", "/api/records")]
    [InlineData("PUT", "/")]
    [InlineData("DELETE", "/assets/dashboard.js")]
    public async Task EveryEndpointIsReadOnly(string method, string path)
    {
        using var feed = new DashboardFeed();
        await using var server = await DashboardServer.StartAsync(feed);
        using var http = new HttpClient();
        var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(server.Url, path)) { Content = new StringContent("x") });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task OnLoopbackARequestForAnotherHostNameIsRefused()
    {
        // A page whose DNS name was rebound to 127.0.0.1 sends its own name as the Host.
        using var feed = new DashboardFeed();
        await using var server = await DashboardServer.StartAsync(feed);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, "/api/records"));
        request.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(request)).StatusCode);
        request.Headers.Host = null;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://localhost:{server.Url.Port}/api/records"))).StatusCode);
    }

    [Fact]
    public async Task BindingElsewhereTakesAnAddressAndPrintsAWarning()
    {
        using var feed = new DashboardFeed();
        var quiet = new StringWriter();
        await using (await DashboardServer.StartAsync(feed, warnings: quiet)) { }
        Assert.Equal("", quiet.ToString());

        var warnings = new StringWriter();
        await using var server = await DashboardServer.StartAsync(feed, IPAddress.Any, 0, warnings);
        Assert.StartsWith("warning: the dashboard listens on 0.0.0.0, not on loopback", warnings.ToString());
    }

    [SkippableFact]
    public async Task ItWatchesNoFiles()
    {
        // The host's default would watch the working directory, recursively, for appsettings.json: one inotify watch
        // per directory under wherever training was started. The server reads no settings files, so it watches none.
        Skip.IfNot(OperatingSystem.IsLinux(), "inotify watches are counted in /proc/self/fdinfo, on Linux");
        int before = InotifyWatches();
        using var feed = new DashboardFeed();
        await using var server = await DashboardServer.StartAsync(feed);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(server.Url)).StatusCode);
        Assert.Equal(before, InotifyWatches());
    }

    // The watches of every inotify descriptor of this process: one "inotify wd:..." line each in its fdinfo.
    private static int InotifyWatches() => Directory.GetFiles("/proc/self/fd")
        .Where(fd => new FileInfo(fd).LinkTarget?.Contains("inotify") == true)
        .Sum(fd => File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").Count(line => line.StartsWith("inotify ")));
}
