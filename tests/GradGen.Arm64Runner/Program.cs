using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Loader;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

// Runs the xunit tests of one test assembly whose full names contain one of the given fragments, in this process, one
// after another, and exits with 1 if any failed. It exists so that the tests can run on ARM64 under qemu-aarch64
// user-mode emulation on an x64 machine (tests/Shared/Arm64Runs.cs): `dotnet test` would need an ARM64 SDK and a
// testhost, this needs only this self-contained program. The test assembly is architecture-neutral IL; its
// dependencies load from its own directory through its .deps.json.
//
// It supports what GradGen's tests use: [Fact] and [Theory] (and Xunit.SkippableFact's attributes and SkipException),
// data attributes ([InlineData], [MemberData], ...), constructor injection of ITestOutputHelper and IClassFixture<T>
// fixtures, IDisposable and IAsyncLifetime, and Task-returning tests.
//
//   GradGen.Arm64Runner <test assembly> <fragment>[|<fragment>...]

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: GradGen.Arm64Runner <test assembly> <fragment>[|<fragment>...]");
    return 2;
}
string assemblyPath = Path.GetFullPath(args[0]);
string[] fragments = args[1].Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

var resolver = new AssemblyDependencyResolver(assemblyPath);
AssemblyLoadContext.Default.Resolving += (context, name) =>
    resolver.ResolveAssemblyToPath(name) is string path ? context.LoadFromAssemblyPath(path) : null;
Assembly assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(assemblyPath);
// As under dotnet test, the tests find their files beside their assembly: AppContext.BaseDirectory and the current
// directory are the test assembly's, not this program's.
AppContext.SetData("APP_CONTEXT_BASE_DIRECTORY", Path.GetDirectoryName(assemblyPath) + Path.DirectorySeparatorChar);
Environment.CurrentDirectory = Path.GetDirectoryName(assemblyPath)!;

Console.WriteLine($"{RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}; " +
    $"Vector128 {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}");

int passed = 0, failed = 0, skipped = 0;
foreach (Type type in assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract && (t.IsPublic || t.IsNestedPublic)))
{
    var tests = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
        .Where(m => m.GetCustomAttribute<FactAttribute>() != null && fragments.Any(f => $"{type.FullName}.{m.Name}".Contains(f, StringComparison.Ordinal)))
        .OrderBy(m => m.Name, StringComparer.Ordinal)
        .ToList();
    if (tests.Count == 0) continue;

    var fixtures = new Dictionary<Type, object>();
    try
    {
        foreach (MethodInfo test in tests)
        {
            FactAttribute fact = test.GetCustomAttribute<FactAttribute>()!;
            string name = $"{type.FullName}.{test.Name}";
            if (fact.Skip != null)
            {
                Skip(name, fact.Skip);
                continue;
            }
            foreach (object?[] row in Rows(test))
            {
                string display = row.Length == 0 ? name : $"{name}({string.Join(", ", row.Select(Format))})";
                var output = new BufferedOutput();
                try
                {
                    await RunOne(type, test, row, output, fixtures);
                    passed++;
                }
                catch (Exception e) when (Unwrap(e) is { } inner && inner.GetType().Name == "SkipException")
                {
                    Skip(display, inner.Message);
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"[FAIL] {display}\n{Unwrap(e)}\n{output}");
                }
            }
        }
    }
    finally
    {
        foreach (object fixture in fixtures.Values) (fixture as IDisposable)?.Dispose();
    }
}
Console.WriteLine($"{(failed == 0 ? "Passed!" : "Failed!")} - Failed: {failed}, Passed: {passed}, Skipped: {skipped}, Total: {passed + failed + skipped}");
return failed == 0 && passed > 0 ? 0 : 1;

void Skip(string name, string reason)
{
    skipped++;
    Console.WriteLine($"[SKIP] {name}: {reason}");
}

// A [Fact]'s one empty row, or a [Theory]'s rows from each of its data attributes, converted to the parameter types.
static IEnumerable<object?[]> Rows(MethodInfo test)
{
    ParameterInfo[] parameters = test.GetParameters();
    if (test.GetCustomAttribute<TheoryAttribute>() == null)
    {
        yield return [];
        yield break;
    }
    foreach (DataAttribute data in test.GetCustomAttributes<DataAttribute>())
        foreach (object?[] row in data.GetData(test))
            yield return row.Select((value, i) => Convert(value, parameters[i].ParameterType)).ToArray();
}

static object? Convert(object? value, Type target)
{
    if (value == null || target.IsInstanceOfType(value)) return value;
    Type underlying = Nullable.GetUnderlyingType(target) ?? target;
    return underlying.IsEnum ? Enum.ToObject(underlying, value) : System.Convert.ChangeType(value, underlying, System.Globalization.CultureInfo.InvariantCulture);
}

static async Task RunOne(Type type, MethodInfo test, object?[] row, BufferedOutput output, Dictionary<Type, object> fixtures)
{
    object? instance = test.IsStatic ? null : Create(type, output, fixtures);
    try
    {
        if (instance is IAsyncLifetime lifetime) await lifetime.InitializeAsync();
        object? result = test.Invoke(instance, row);
        if (result is Task task) await task;
        else if (result is ValueTask valueTask) await valueTask;
        if (instance is IAsyncLifetime done) await done.DisposeAsync();
    }
    finally
    {
        (instance as IDisposable)?.Dispose();
    }
}

// The test class, with its constructor's ITestOutputHelper and class fixtures (one per class, made on first use).
static object Create(Type type, BufferedOutput output, Dictionary<Type, object> fixtures)
{
    ConstructorInfo constructor = type.GetConstructors().Single();
    object?[] arguments = constructor.GetParameters().Select(p =>
    {
        if (p.ParameterType == typeof(ITestOutputHelper)) return output;
        if (!fixtures.TryGetValue(p.ParameterType, out object? fixture))
            fixtures[p.ParameterType] = fixture = Activator.CreateInstance(p.ParameterType)!;
        return fixture;
    }).ToArray();
    return constructor.Invoke(arguments);
}

static Exception Unwrap(Exception e) => e is TargetInvocationException { InnerException: { } inner } ? Unwrap(inner) : e;

static string Format(object? value) => value switch
{
    null => "null",
    string s => $"\"{s}\"",
    IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
    _ => value.ToString() ?? "",
};

sealed class BufferedOutput : ITestOutputHelper
{
    private readonly System.Text.StringBuilder _text = new();
    public void WriteLine(string message) => _text.AppendLine(message);
    public void WriteLine(string format, params object[] args) => _text.AppendLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    public override string ToString() => _text.ToString();
}
