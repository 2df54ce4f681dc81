namespace GradGen.Data;

/// <summary>An IDX file (the MNIST / Fashion-MNIST format) is malformed, or an images file and a labels file do not
/// belong together. The message names the file (or stream source) and the defect.</summary>
public sealed class IdxFormatException : Exception
{
    public IdxFormatException(string message) : base(message) { }

    public IdxFormatException(string message, Exception? innerException) : base(message, innerException) { }

    internal static IdxFormatException For(string source, string defect, Exception? inner = null) =>
        new($"{source}: {defect}", inner);
}
