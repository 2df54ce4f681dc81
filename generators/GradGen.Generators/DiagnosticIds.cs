namespace GradGen.Generators;

/// <summary>The ids of the declaration problems that the parser and planner find. The analyzer in
/// analyzers/GradGen.Analyzers gives each its descriptor; when you add one, add it there too, with its entry in
/// AnalyzerReleases.Unshipped.md and docs/diagnostics.md.</summary>
internal static class DiagnosticIds
{
    public const string InternalError = "GG0000";
    public const string NotPartial = "GG0001";
    public const string NonPositiveSize = "GG0002";
    public const string ResidualWidthMismatch = "GG0003";
    public const string UnknownValue = "GG0004";
    public const string MissingLoss = "GG0005";
    public const string UnbalancedBlock = "GG0006";
    public const string DuplicateName = "GG0007";
    public const string NoLayers = "GG0008";
    public const string InvalidInit = "GG0009";
    public const string UnsupportedClass = "GG0010";
    public const string InvalidValue = "GG0011";
    public const string TooLarge = "GG0012";
}
