using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace GradGen.Samples.FashionMnist;

/// <summary>The sample's options. A value that does not parse or is out of range, a missing value and an unknown
/// argument each end the program before anything runs, with one line on stderr that names the option and what it
/// accepts, and exit code <see cref="UsageError"/> (the convention of BSD's sysexits and of most Unix tools).</summary>
internal static class CommandLine
{
    /// <summary>The exit code of a command line that cannot be run.</summary>
    public const int UsageError = 2;

    /// <summary>Parses <paramref name="args"/>, then runs <paramref name="run"/> with the settings (or prints help or
    /// the version, as System.CommandLine does). Errors go to <paramref name="error"/> as one line.</summary>
    public static int Invoke(string[] args, Func<Settings, int> run, TextWriter error)
    {
        var parsed = Parse(args, run);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine("error: " + Describe(parsed.Errors[0]));
            return UsageError;
        }
        return parsed.Invoke();
    }

    /// <summary>The first problem with <paramref name="args"/> as the one line <see cref="Invoke"/> prints (without
    /// "error: "), or null when they parse; then <paramref name="settings"/> holds what they say.</summary>
    public static string? TryParse(string[] args, out Settings? settings)
    {
        Settings? parsedSettings = null;
        var parsed = Parse(args, s => { parsedSettings = s; return 0; });
        if (parsed.Errors.Count > 0)
        {
            settings = null;
            return Describe(parsed.Errors[0]);
        }
        parsed.Invoke();
        settings = parsedSettings;
        return null;
    }

    // What each option accepts, as its error message says it.
    private static readonly Dictionary<string, string> s_accepted = new(StringComparer.Ordinal);

    private static readonly Option<int> s_epochs = WholeNumber("--epochs", "Passes over the training set", Defaults.Epochs);
    private static readonly Option<int> s_batchSize = WholeNumber("--batch-size", "Samples per training step", Defaults.BatchSize);
    private static readonly Option<string> s_optimizer = Choice("--optimizer", "sgd (momentum 0.9), adam or adamw", Defaults.Optimizer, "sgd", "adam", "adamw");
    private static readonly Option<double?> s_learningRate = Number("--lr",
        $"Base learning rate [default: {Defaults.LearningRate("sgd")} for sgd, {Defaults.LearningRate("adam")} for adam and adamw]",
        "a number > 0, such as 0.002", v => v > 0);
    private static readonly Option<double?> s_weightDecay = Number("--weight-decay",
        "L2 (sgd, adam) or decoupled (adamw) weight decay [default: 0, 0.01 for adamw]", "a number ≥ 0, such as 0.01", v => v >= 0);
    private static readonly Option<string> s_schedule = Choice("--schedule", "Learning-rate schedule: cosine (to 0 over the run) or constant",
        Defaults.Schedule, "cosine", "constant");
    private static readonly Option<ulong> s_seed = Seed();
    private static readonly Option<int> s_threads = WholeNumber("--threads",
        $"Threads sharing each batch, data-parallel; by default the processor count, at most {Defaults.MaxDefaultThreads}. Results are reproducible for a given thread count; 1 is the plain single-network path",
        Defaults.Threads);
    private static readonly Option<string?> s_data = Path("--data",
        $"Directory with the four Fashion-MNIST IDX files (.gz or plain) [default: {TrainingData.SystemDirectory} if installed, else the embedded test split]", "a directory");
    private static readonly Option<bool> s_embedded = Flag("--embedded", "Use the embedded test split (8,000 train / 2,000 validation) even if the full set is installed");
    private static readonly Option<int?> s_limit = Limit();
    private static readonly Option<string?> s_output = Path("--output", "Where to save the trained weights (safetensors) [default: fashion-mnist.safetensors]", "a file name");
    private static readonly Option<bool> s_plain = Flag("--plain", "One line per epoch instead of progress bars (automatic when the output is not a terminal)");
    private static readonly Option<string?> s_monitor = Path("--monitor",
        "Watch training: print the per-layer statistics every epoch (implies --plain) and write the gradient-flow, gradient-norm and activation plots (PNG and SVG) into this directory",
        "a directory (made if missing)");
    private static readonly Option<bool> s_dashboard = Flag("--dashboard",
        "Serve the live gradient dashboard while training and print its address (docs/dashboard.md); it stays up after training until Ctrl+C");
    private static readonly Option<int> s_port = Port();
    private static readonly Option<IPAddress?> s_bind = Bind();
    private static readonly Option<string?> s_log = Path("--log", "Write the dashboard's records (sampled steps, epochs) to this file as JSON lines", "a file name");
    private static readonly Option<string?> s_replay = Path("--replay", "With --dashboard: serve the records of a --log file instead of training", "a file written by --log");
    private static readonly Option<bool> s_follow = Flag("--follow",
        "With --replay: keep serving the lines appended to the log, as another process that trains with --log writes them");
    // How --dashboard starts its server process (DashboardProcess); not for users, so not in --help.
    private static readonly Option<bool> s_untilInputCloses = Hidden(Flag("--until-input-closes",
        "With --follow: stop when standard input ends (the training process that started this server has ended)"));
    private static readonly Option<double?> s_refresh = Number("--refresh",
        "With --dashboard: send the page what is new at most once in this many seconds; longer is less work for the browser [default: 1]",
        "a number of seconds from 0.1 to 3600, such as 5", v => v >= 0.1 && v <= 3600);
    private static readonly Option<int> s_sampleEvery = WholeNumber("--sample-every",
        "With --monitor, --dashboard or --log: sample one training step in this many", Defaults.MonitorSampleEvery);

    // Combinations that cannot run, each a whole one-line message.
    private const string ReplayNeedsDashboard = "--replay needs --dashboard: it serves a log to the browser instead of training";
    private const string FollowNeedsReplay = "--follow needs --replay FILE: it follows that log as another process writes it";

    private static readonly Option<bool> s_doctor = Flag("--doctor",
        "Before training, diagnose the gradients and suggest fixes; after it, print the gradient noise scale and per-layer gradient statistics (docs/doctor.md)");

    private static ParseResult Parse(string[] args, Func<Settings, int> run)
    {
        var root = new RootCommand("Trains a 784-256-128-64-10 MLP, generated by GradGen, on Fashion-MNIST and saves its weights as safetensors.")
        {
            s_epochs, s_batchSize, s_optimizer, s_learningRate, s_weightDecay, s_schedule, s_seed, s_threads, s_data, s_embedded, s_limit,
            s_output, s_plain, s_monitor, s_doctor, s_dashboard, s_port, s_bind, s_log, s_replay, s_follow, s_untilInputCloses, s_refresh, s_sampleEvery,
        };
        root.Validators.Add(r =>
        {
            // Read through the results: GetValue throws on an option whose own value is missing (reported by then).
            bool replay = r.GetResult(s_replay) is { Tokens.Count: > 0 }, dashboard = r.GetResult(s_dashboard) is not null && r.GetValue(s_dashboard);
            if (replay && !dashboard) r.AddError(ReplayNeedsDashboard);
            else if (!replay && r.GetResult(s_follow) is not null && r.GetValue(s_follow)) r.AddError(FollowNeedsReplay);
        });
        root.SetAction(result =>
        {
            string optimizer = result.GetValue(s_optimizer)!;
            return run(new Settings(
                Epochs: result.GetValue(s_epochs),
                BatchSize: result.GetValue(s_batchSize),
                Optimizer: optimizer,
                LearningRate: result.GetValue(s_learningRate) ?? Defaults.LearningRate(optimizer),
                WeightDecay: result.GetValue(s_weightDecay) ?? (optimizer == "adamw" ? 0.01 : 0),
                Schedule: result.GetValue(s_schedule)!,
                Seed: result.GetValue(s_seed),
                Threads: result.GetValue(s_threads),
                Data: result.GetValue(s_data),
                Embedded: result.GetValue(s_embedded),
                Limit: result.GetValue(s_limit),
                Output: result.GetValue(s_output) ?? "fashion-mnist.safetensors",
                Plain: result.GetValue(s_plain),
                Monitor: result.GetValue(s_monitor),
                Dashboard: result.GetValue(s_dashboard),
                Port: result.GetValue(s_port),
                Bind: result.GetValue(s_bind),
                Log: result.GetValue(s_log),
                Replay: result.GetValue(s_replay),
                Follow: result.GetValue(s_follow),
                UntilInputCloses: result.GetValue(s_untilInputCloses),
                Refresh: result.GetValue(s_refresh),
                SampleEvery: result.GetValue(s_sampleEvery),
                Doctor: result.GetValue(s_doctor)));
        });
        return root.Parse(args);
    }

    /// <summary>"--lr: 'abc' is not accepted; give a number &gt; 0, such as 0.002", whether System.CommandLine or one
    /// of the parsers below found the problem.</summary>
    private static string Describe(ParseError error)
    {
        var option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        if (option is null && error.Message is ReplayNeedsDashboard or FollowNeedsReplay)
            return error.Message;
        if (option is null)
            return $"{error.Message.TrimEnd('.')}; the options are {string.Join(", ", s_accepted.Keys)} (--help describes them)";
        string name = option.Option.Name;
        string accepted = s_accepted[name];
        return option.Tokens.Count == 0
            ? $"{name} needs a value: {accepted}"
            : $"{name}: '{option.Tokens[0].Value}' is not accepted; give {accepted}";
    }

    // ------------------------------------------------------------------ one parser per kind of value

    // Each parser reports a bad value with AddError and returns a placeholder: the action never runs then.

    private static Option<int> WholeNumber(string name, string description, int defaultValue)
    {
        s_accepted[name] = "a whole number ≥ 1";
        return new Option<int>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => int.TryParse(Token(r), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= 1 ? v : Reject<int>(r),
        };
    }

    private static Option<int?> Limit()
    {
        s_accepted["--limit"] = "a whole number ≥ 1";
        return new Option<int?>("--limit")
        {
            Description = "Train on only the first N training images (for quick runs)",
            CustomParser = r => int.TryParse(Token(r), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= 1 ? v : Reject<int?>(r),
        };
    }

    private static Option<int> Port()
    {
        s_accepted["--port"] = "a whole number from 0 to 65535";
        return new Option<int>("--port")
        {
            Description = "The dashboard's port; 0 picks a free one [default: 0]",
            DefaultValueFactory = _ => 0,
            CustomParser = r => int.TryParse(Token(r), NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= 65535 ? v : Reject<int>(r),
        };
    }

    private static Option<IPAddress?> Bind()
    {
        s_accepted["--bind"] = "an IP address, such as 127.0.0.1 or 0.0.0.0";
        return new Option<IPAddress?>("--bind")
        {
            Description = "The address the dashboard listens on [default: 127.0.0.1]. Any other than loopback lets the network read the statistics, and prints a warning",
            CustomParser = r => IPAddress.TryParse(Token(r), out var address) && Token(r).Contains(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? '.' : ':')
                ? address : Reject<IPAddress?>(r),
        };
    }

    private static Option<ulong> Seed()
    {
        s_accepted["--seed"] = $"a whole number from 0 to {ulong.MaxValue}";
        return new Option<ulong>("--seed")
        {
            Description = "Seed of the initial weights and of the shuffling",
            DefaultValueFactory = _ => 1UL,
            CustomParser = r => ulong.TryParse(Token(r), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : Reject<ulong>(r),
        };
    }

    private static Option<double?> Number(string name, string description, string accepted, Func<double, bool> inRange)
    {
        s_accepted[name] = accepted;
        return new Option<double?>(name)
        {
            Description = description,
            CustomParser = r => double.TryParse(Token(r), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && inRange(v)
                ? v : Reject<double?>(r),
        };
    }

    private static Option<string> Choice(string name, string description, string defaultValue, params string[] choices)
    {
        s_accepted[name] = string.Join(", ", choices[..^1]) + " or " + choices[^1];
        var option = new Option<string>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => choices.Contains(Token(r), StringComparer.Ordinal) ? Token(r) : Reject<string>(r),
        };
        option.CompletionSources.Add(choices);
        return option;
    }

    private static Option<string?> Path(string name, string description, string accepted)
    {
        s_accepted[name] = accepted;
        return new Option<string?>(name)
        {
            Description = description,
            CustomParser = r => Token(r) is { Length: > 0 } path && !path.StartsWith('-') ? path : Reject<string?>(r),
        };
    }

    private static Option<bool> Flag(string name, string description)
    {
        s_accepted[name] = "no value (it is a flag), or true or false";
        return new Option<bool>(name) { Description = description };
    }

    private static Option<T> Hidden<T>(Option<T> option)
    {
        option.Hidden = true;
        return option;
    }

    private static string Token(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[0].Value : "";

    private static T? Reject<T>(ArgumentResult r)
    {
        r.AddError("rejected"); // Describe words the message from the option and its token
        return default;
    }
}
