namespace System.Runtime.CompilerServices;

// Records and init-only setters need this type, which netstandard2.0 does not have.
internal static class IsExternalInit;
