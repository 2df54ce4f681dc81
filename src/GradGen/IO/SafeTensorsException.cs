namespace GradGen.IO;

/// <summary>A safetensors file is malformed, or holds something other than what the caller asked for.
/// The message names the file (or stream source), the defect and, where relevant, the tensor.</summary>
public sealed class SafeTensorsException : Exception
{
    public SafeTensorsException(string message) : base(message) { }

    public SafeTensorsException(string message, Exception? innerException) : base(message, innerException) { }

    internal static SafeTensorsException For(string source, string defect, Exception? inner = null) =>
        new($"{source}: {defect}", inner);
}
