using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace GradGen.Samples.FashionMnist;

/// <summary>The server of <c>--dashboard</c>: a second process of this program, <c>--dashboard --replay LOG --follow</c>,
/// serving the log this process writes as it grows. Kestrel's threads, its sockets, and the memory its thread stacks and
/// the JIT map and unmap are then not in the training process. A reader of a server in the training process cost the
/// training about 9% of its throughput where a server in another process cost nothing measurable; with a page open,
/// this form and the in-process server measured alike, 7-12% (docs/dashboard-overhead.md).
/// The server process ends when this one does, however it ends: it stops when its standard input, a pipe whose other
/// end only this process holds, closes.</summary>
internal sealed class DashboardProcess : IDisposable
{
    private const string AddressLine = "Dashboard: ";

    private readonly Process _process;
    private readonly string _log;
    private readonly bool _deleteLog;

    private DashboardProcess(Process process, Uri url, string log, bool deleteLog)
    {
        _process = process;
        Url = url;
        _log = log;
        _deleteLog = deleteLog;
    }

    /// <summary>The page's address, as the server process printed it.</summary>
    public Uri Url { get; }

    /// <summary>Where the records go when <c>--dashboard</c> is given without <c>--log</c>: a file of this process's
    /// own in the temporary directory, deleted once both processes have it open (elsewhere than on Windows, where an
    /// open file cannot be deleted: there when the server process has ended).</summary>
    public static string TemporaryLog() =>
        Path.Combine(Path.GetTempPath(), $"gradgen-dashboard-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.jsonl");

    /// <summary>Starts the server process on <paramref name="log"/> (which must exist: the feed has created it) with
    /// the settings' <c>--port</c> and <c>--bind</c>, waits until it prints the page's address, and prints it as the
    /// sample always has. A server that ends before serving (a port in use) is a <see cref="UserError"/>; its own
    /// message is already on stderr, which it shares with this process.</summary>
    public static DashboardProcess Start(string log, bool deleteLog, Settings s)
    {
        // "dotnet Sample.dll" runs this program through the host; the apphost runs it directly.
        string host = Environment.ProcessPath ?? throw new UserError("--dashboard: the program's path is unknown, so it cannot start its server process");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        foreach (string arg in new[] { "--dashboard", "--replay", log, "--follow", "--until-input-closes", "--port", s.Port.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        if (s.Refresh is { } refresh)
        {
            start.ArgumentList.Add("--refresh");
            start.ArgumentList.Add(refresh.ToString(CultureInfo.InvariantCulture));
        }
        if (s.Bind is not null)
        {
            start.ArgumentList.Add("--bind");
            start.ArgumentList.Add(s.Bind.ToString());
        }
        var process = Process.Start(start) ?? throw new UserError("--dashboard: its server process did not start");
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith(AddressLine, StringComparison.Ordinal)) { }
        if (line is null)
        {
            process.WaitForExit();
            int code = process.ExitCode;
            process.Dispose();
            throw new UserError($"--dashboard: its server process ended with exit code {code} before serving");
        }
        // What else it prints is not needed; read it, so that the pipe never fills.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var url = new Uri(line[AddressLine.Length..]);
        Console.WriteLine($"{AddressLine}{url}");
        // The server has the log open now (it prints the address after its first read), and so has the feed: on
        // Unix a temporary log can be unlinked at once, and is then gone however the two processes end.
        if (deleteLog && !OperatingSystem.IsWindows())
        {
            File.Delete(log);
            deleteLog = false;
        }
        return new DashboardProcess(process, url, log, deleteLog);
    }

    /// <summary>Keeps the server up until Ctrl+C, so that the finished run can still be looked at.</summary>
    public void WaitForCtrlC()
    {
        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
        Console.WriteLine($"The dashboard stays up at {Url}; press Ctrl+C to stop.");
        stop.Wait();
    }

    /// <summary>Ends the server process (by closing its standard input) and deletes a temporary log.</summary>
    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(5))) _process.Kill();
        }
        catch (InvalidOperationException) { } // it has ended already
        _process.Dispose();
        if (_deleteLog) File.Delete(_log);
    }
}
