using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GradGen.Package.Tests;

/// <summary>What a user does with the package: GradGen is packed into a local folder, a fresh console project adds
/// it with <c>dotnet add package</c> (its own nuget.config and package cache, so nothing stale is reused), declares a
/// network, trains it and prints the loss. The project is made once (<see cref="ConsumerProject"/>) and built by each
/// test in turn: xunit runs the tests of one class one after another.</summary>
public sealed class PackageConsumerTests(ConsumerProject consumer) : IClassFixture<ConsumerProject>
{
    [Fact]
    public void PackageHoldsRuntimeGeneratorAndAnalyzersOnly()
    {
        string[] files = consumer.PackageFiles;
        Assert.Contains("lib/net10.0/GradGen.dll", files);
        Assert.Contains("lib/net10.0/GradGen.xml", files);
        Assert.Contains("analyzers/dotnet/cs/GradGen.Generators.dll", files);
        Assert.Contains("analyzers/dotnet/cs/GradGen.Analyzers.dll", files);
        Assert.Contains("analyzers/dotnet/cs/GradGen.CodeFixes.dll", files);
        Assert.Contains("build/GradGen.props", files);
        Assert.Contains("buildTransitive/GradGen.props", files);
        Assert.Contains("README.md", files);

        // The runtime is the only library; everything else is a GradGen analyzer assembly. No test, sample or
        // benchmark assembly, and no Roslyn assembly (the user's compiler brings its own).
        string[] assemblies = files.Where(f => f.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.All(assemblies, f => Assert.Matches(@"^(lib/net10\.0/GradGen\.dll|analyzers/dotnet/cs/GradGen\.[A-Za-z]+\.dll)$", f));
        Assert.All(assemblies, f => Assert.DoesNotMatch("Tests|Samples|Benchmarks|Microsoft", f));

        // Every assembly carries the package's version (InformationalVersion, with the commit after a '+').
        foreach (string assembly in assemblies)
        {
            string? version = FileVersionInfo.GetVersionInfo(Path.Combine(consumer.ExtractedPackage, assembly)).ProductVersion;
            Assert.True(version == consumer.Version || version?.StartsWith(consumer.Version + "+", StringComparison.Ordinal) == true,
                $"{assembly} has version '{version}', the package {consumer.Version}");
        }

        // The metadata a package page shows, and one dependency: System.Numerics.Tensors, whose TensorPrimitives the
        // kernels use for element-wise work at every vector width.
        XNamespace ns = consumer.Nuspec.Root!.Name.Namespace;
        XElement metadata = consumer.Nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("expression", metadata.Element(ns + "license")?.Attribute("type")?.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "tags")?.Value));
        Assert.StartsWith("https://", metadata.Element(ns + "repository")?.Attribute("url")?.Value);
        Assert.Equal(new[] { "System.Numerics.Tensors" }, metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")?.Value).Distinct());

        Assert.True(File.Exists(Path.ChangeExtension(consumer.Package, ".snupkg")), "no symbols package beside " + consumer.Package);
    }

    [Fact]
    public void GeneratedNetworkCompilesAndItsLossFalls()
    {
        ProcessResult build = consumer.Build();
        Assert.True(build.ExitCode == 0, "the consumer project did not build:\n" + build.Output);
        // No warning either: a generator or analyzer that cannot load in the user's compiler is only a warning
        // ("CSC : warning CS9057: Analyzer assembly … references version '5.12.0.0' of the compiler, which is newer
        // than the currently running version '5.9.0.0'", or CS8032).
        Assert.Empty(ConsumerProject.Diagnostics(build.Output));
        Assert.True(consumer.GeneratedSources().Any(s => s.Contains("partial class XorNet", StringComparison.Ordinal)),
            "the package's generator wrote no code for XorNet");

        ProcessResult run = consumer.Run();
        Assert.True(run.ExitCode == 0, "the consumer program failed:\n" + run.Output);
        double[] losses = Regex.Matches(run.Output, @"^step \d+: loss (\S+)$", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToArray();
        Assert.True(losses.Length == 5, "expected the loss at steps 0, 50, 100, 150 and 199 in the output:\n" + run.Output);
        Assert.True(losses[^1] < losses[0] / 10, $"the loss fell only from {losses[0]} to {losses[^1]}");
        Assert.True(File.Exists(consumer.PathInProject("xor.safetensors")), "the program saved no weights");
    }

    /// <summary>A declaration with a problem gets its GG diagnostic in the user's build output, at the declaration.
    /// An error fails the build; a warning (the gradient-flow rules, GG1xxx) does not. A case is one line here.</summary>
    [Theory]
    [InlineData("error", "GG0005", "[Network(4)] [Dense(2)] public partial class MissingLoss;")]
    [InlineData("error", "GG0002", "[Network(4, Loss = Loss.MeanSquaredError)] [Dense(0)] public partial class ZeroWidth;")]
    // a risky declaration that builds: the gradient-flow forecast warns that 20 sigmoid layers vanish (σ′ ≤ 0.25)
    [InlineData("warning", "GG1001", "[Network(100, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)] public partial class DeepSigmoid;")]
    public void DeclarationProblemIsReportedInTheBuild(string severity, string id, string declaration)
    {
        ProcessResult build = consumer.Build(extraDeclaration: declaration);

        Assert.True((build.ExitCode != 0) == (severity == "error"),
            $"a {severity} should {(severity == "error" ? "fail" : "not fail")} the build (exit code {build.ExitCode}):\n{build.Output}");
        Assert.True(ConsumerProject.Diagnostics(build.Output).Contains((ConsumerProject.ExtraDeclarationFile, severity, id)),
            $"expected {severity} {id} at {ConsumerProject.ExtraDeclarationFile} in the build output:\n{build.Output}");
    }
}

/// <summary>The exit code and the whole output (standard output, then standard error) of a command.</summary>
public sealed record ProcessResult(int ExitCode, string Output);

/// <summary>A temporary directory with the packed GradGen (feed/), a package cache of its own (packages/) and a fresh
/// console project (Consumer/) that has added the package and declares a network.</summary>
public sealed class ConsumerProject : IDisposable
{
    public const string ExtraDeclarationFile = "Declaration.cs";
    private const string LocalSourceKey = "gradgen-local";
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(10);

    private readonly string _root;
    private readonly string _project;
    private readonly Dictionary<string, string?> _environment;

    /// <summary>The .nupkg file, its version, its unzipped contents and the paths inside it.</summary>
    public string Package { get; }
    public string Version { get; }
    public string ExtractedPackage { get; }
    public string[] PackageFiles { get; }
    public XDocument Nuspec { get; }

    public ConsumerProject()
    {
        _root = Directory.CreateTempSubdirectory("gradgen-package-").FullName;
        _project = Path.Combine(_root, "Consumer");
        string feed = Path.Combine(_root, "feed");
        _environment = ChildEnvironment(packageCache: Path.Combine(_root, "packages"));

        // 1. Pack what the solution build just built (building again here could race the other test projects'
        //    builds over the same obj/ folders).
        var assembly = typeof(ConsumerProject).Assembly;
        DotNet(_root, "pack", Metadata(assembly, "GradGenProject"), "-c", Metadata(assembly, "Configuration"), "--no-build", "-o", feed);
        Package = Directory.GetFiles(feed, "GradGen.*.nupkg").Single();
        ExtractedPackage = Path.Combine(_root, "extracted");
        ZipFile.ExtractToDirectory(Package, ExtractedPackage);
        PackageFiles = Directory.GetFiles(ExtractedPackage, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(ExtractedPackage, f).Replace('\\', '/'))
            .ToArray();
        Nuspec = XDocument.Load(Path.Combine(ExtractedPackage, "GradGen.nuspec"));
        Version = Nuspec.Root!.Descendants(Nuspec.Root.Name.Namespace + "version").Single().Value;

        // 2. A fresh console project whose nuget.config lists the local folder and the user's own sources.
        string userSources = DotNet(_root, "nuget", "list", "source", "--format", "Detailed").Output;
        DotNet(_root, "new", "console", "-n", "Consumer", "-o", _project, "--framework", "net10.0", "--no-restore");
        WriteNuGetConfig(Path.Combine(_project, "nuget.config"), feed, EnabledSources(userSources));

        // 3. The package, as a user adds it.
        DotNet(_project, "add", "package", "GradGen", "--version", Version);

        // 4. The declaration and training loop of README.md's "Getting started", word for word.
        File.WriteAllText(Path.Combine(_project, "XorNet.cs"), """
            using GradGen;

            [Network(2, Loss = Loss.MeanSquaredError)]
            [Dense(16, Activation.Tanh)]
            [Dense(1)]
            public partial class XorNet;
            """);
        File.WriteAllText(Path.Combine(_project, "Program.cs"), """
            float[] inputs = [0, 0, 0, 1, 1, 0, 1, 1];   // 4 samples × 2 features, row-major
            float[] targets = [0, 1, 1, 0];
            var net = new XorNet(maxBatch: 4, seed: 1);  // one arena, for batches up to 4
            var adam = new GradGen.Optim.Adam<float>(net.ParameterCount, learningRate: 0.05);
            for (int step = 0; step < 200; step++)
            {
                float loss = net.TrainStep(inputs, targets, adam);
                if (step % 50 == 0 || step == 199) Console.WriteLine($"step {step}: loss {loss}");
            }
            net.Save("xor.safetensors");                 // PyTorch names: 0.weight, 0.bias, 1.weight, 1.bias
            """);
    }

    /// <summary>Builds the project, with <paramref name="extraDeclaration"/> (GradGen attributes on a class) in
    /// <see cref="ExtraDeclarationFile"/> for this build only.</summary>
    public ProcessResult Build(string? extraDeclaration = null)
    {
        string extraFile = Path.Combine(_project, ExtraDeclarationFile);
        if (extraDeclaration is not null)
            File.WriteAllText(extraFile, "using GradGen;\n\nnamespace Consumer;\n\n" + extraDeclaration + "\n");
        try
        {
            return DotNet(_project, checkExitCode: false,
                "build", "-c", "Release", "-nodeReuse:false", "-tl:off", "-p:EmitCompilerGeneratedFiles=true");
        }
        finally
        {
            File.Delete(extraFile);
        }
    }

    public ProcessResult Run() => DotNet(_project, checkExitCode: false, "run", "-c", "Release", "--no-build");

    public string PathInProject(string relativePath) => Path.Combine(_project, relativePath);

    /// <summary>The sources the package's generator wrote in the last build.</summary>
    public IEnumerable<string> GeneratedSources()
    {
        string generated = Path.Combine(_project, "obj", "Release", "net10.0", "generated", "GradGen.Generators");
        return Directory.Exists(generated)
            ? Directory.GetFiles(generated, "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText)
            : [];
    }

    /// <summary>The (file name or tool, severity, id) of every diagnostic in MSBuild's output:
    /// "/tmp/…/Declaration.cs(5,2): error GG0005: …", "CSC : warning CS9057: …",
    /// "/tmp/…/Consumer.csproj : warning NU1603: …".</summary>
    public static HashSet<(string File, string Severity, string Id)> Diagnostics(string buildOutput) =>
        Regex.Matches(buildOutput, @"(?<origin>\S+?)(?:\(\d+,\d+\))? ?: (?<severity>warning|error) (?<id>[A-Z]+\d+):")
            .Select(m => (Path.GetFileName(m.Groups["origin"].Value), m.Groups["severity"].Value, m.Groups["id"].Value))
            .ToHashSet();

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { } // a leftover temp folder is not a test failure
    }

    /// <summary>The enabled sources (name, url) in the output of `dotnet nuget list source --format Detailed`:
    /// "  1.  MySource [Enabled]" followed by the url on the next line.</summary>
    private static List<(string Name, string Url)> EnabledSources(string listOutput)
    {
        string[] lines = listOutput.Split('\n', StringSplitOptions.TrimEntries);
        var sources = new List<(string, string)>();
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            Match m = Regex.Match(lines[i], @"^\d+\.\s+(?<name>.+?)\s+\[Enabled\]$");
            if (m.Success) sources.Add((m.Groups["name"].Value, lines[i + 1]));
        }
        return sources;
    }

    /// <summary>Only the local folder and the user's enabled sources, and the mapping that takes GradGen from the
    /// local folder alone (so a GradGen of the same version elsewhere can never be picked).</summary>
    private static void WriteNuGetConfig(string path, string feed, List<(string Name, string Url)> userSources)
    {
        var sources = new XElement("packageSources", new XElement("clear"), Source(LocalSourceKey, feed));
        var mapping = new XElement("packageSourceMapping", Mapping(LocalSourceKey, "GradGen"));
        foreach (var (name, url) in userSources.Where(s => s.Name != LocalSourceKey))
        {
            sources.Add(Source(name, url));
            mapping.Add(Mapping(name, "*"));
        }
        new XDocument(new XElement("configuration", sources, mapping)).Save(path);

        static XElement Source(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));
        static XElement Mapping(string key, string pattern) =>
            new("packageSource", new XAttribute("key", key), new XElement("package", new XAttribute("pattern", pattern)));
    }

    /// <summary>This process's environment without the MSBuild settings that `dotnet test` passes down (they would
    /// point the child builds at the parent's MSBuild), in English and the invariant culture, with a package cache of
    /// its own, and with no build server or reused MSBuild node outliving a command (one would hold its output pipe
    /// open).</summary>
    private static Dictionary<string, string?> ChildEnvironment(string packageCache)
    {
        var environment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = packageCache,
            ["DOTNET_CLI_UI_LANGUAGE"] = "en",
            ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1", // the program prints its losses with '.', whatever LANG says
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["UseSharedCompilation"] = "false",
        };
        foreach (string name in System.Environment.GetEnvironmentVariables().Keys)
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) && !environment.ContainsKey(name))
                environment[name] = null;
        }
        return environment;
    }

    private static string Metadata(Assembly assembly, string key) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private ProcessResult DotNet(string directory, params string[] arguments) => DotNet(directory, checkExitCode: true, arguments);

    private ProcessResult DotNet(string directory, bool checkExitCode, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in _environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        string command = "dotnet " + string.Join(' ', arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + command);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_commandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} (in {directory}) did not finish in {s_commandTimeout}");
        }
        if (!Task.WaitAll([output, error], TimeSpan.FromSeconds(30)))
            throw new TimeoutException($"{command} exited, but a process it started still holds its output open");

        var result = new ProcessResult(process.ExitCode, output.Result + error.Result);
        if (checkExitCode && result.ExitCode != 0)
            throw new InvalidOperationException($"{command} (in {directory}) failed with exit code {result.ExitCode}:\n{result.Output}");
        return result;
    }
}
