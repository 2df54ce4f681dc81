using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;

namespace GradGen.Samples.Tests;

/// <summary>The FashionMnist sample's <c>--dashboard</c> as a user starts it: the training process writes the records
/// and a second process of the sample serves them (DashboardProcess), and that server ends with the training process
/// however it ends.</summary>
public class FashionMnistDashboardProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheServerProcessServesTheTrainingsStepsAndEndsWhenTheTrainingIsKilled()
    {
        string output = Path.Combine(Path.GetTempPath(), "gradgen-dashboard-process-" + Guid.NewGuid().ToString("N") + ".safetensors");
        // Enough epochs of the embedded split to outlast the checks below (about 0.1 s an epoch here).
        using var training = Start("--dashboard", "--embedded", "--plain", "--epochs", "400", "--output", output);
        try
        {
            Uri url = await ReadAddress(training);
            _ = training.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // the epochs' lines, so that the pipe never fills
            _ = training.StandardError.BaseStream.CopyToAsync(Stream.Null);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

            // The server (another process) serves the sampled steps the training writes to the log as it goes.
            string records = "";
            var waited = Stopwatch.StartNew();
            while (!records.Contains("\"type\":\"step\"", StringComparison.Ordinal) && waited.Elapsed < Patience)
            {
                await Task.Delay(200);
                records = await http.GetStringAsync(new Uri(url, "api/records"));
            }
            Assert.Contains("\"type\":\"run\"", records);
            Assert.Contains("\"type\":\"step\"", records);
            Assert.False(training.HasExited, "training ended before the checks: give it more epochs");
            // The server is not the training process: nothing in the training process listens on the page's port.
            Assert.DoesNotContain(Listeners(training.Id), port => port == url.Port);

            training.Kill(); // not its tree: the server must notice by itself
            await training.WaitForExitAsync();
            waited.Restart();
            while (Accepts(url) && waited.Elapsed < Patience) await Task.Delay(100);
            Assert.False(Accepts(url), $"the server at {url} still accepts connections {waited.Elapsed.TotalSeconds:F0} s after the training process was killed");
        }
        finally
        {
            if (!training.HasExited) training.Kill(entireProcessTree: true);
            File.Delete(output);
        }
    }

    // Reads the training process's output up to "Dashboard: URL" (the line DashboardProcess prints once the server serves).
    private static async Task<Uri> ReadAddress(Process training)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (await training.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("Dashboard: ", StringComparison.Ordinal)) return new Uri(line["Dashboard: ".Length..]);
        }
        string error = await training.StandardError.ReadToEndAsync();
        await training.WaitForExitAsync();
        Assert.Fail($"the sample ended (exit code {training.ExitCode}) without printing the dashboard's address: {error}");
        return null!;
    }

    private static bool Accepts(Uri url)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(url.Host, url.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The TCP ports on which process pid listens (Linux: its sockets' inodes matched against /proc/net/tcp and tcp6).
    private static IEnumerable<int> Listeners(int pid)
    {
        if (!OperatingSystem.IsLinux()) return [];
        var inodes = new HashSet<string>();
        foreach (string fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(target["socket:[".Length..^1]);
            }
            catch (IOException) { } // closed meanwhile
        }
        var ports = new List<int>();
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (string row in File.ReadLines(table).Skip(1))
            {
                string[] f = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address is ADDR:PORT in hex; st 0A is LISTEN; the inode is the tenth column.
                if (f[3] == "0A" && inodes.Contains(f[9])) ports.Add(Convert.ToInt32(f[1][(f[1].LastIndexOf(':') + 1)..], 16));
            }
        }
        return ports;
    }

    private static Process Start(params string[] args) =>
        Process.Start(ChildProcess.DotnetExec("samples/GradGen.Samples.FashionMnist", args))!;
}
