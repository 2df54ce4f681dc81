using System.Runtime.CompilerServices;

namespace GradGen.Kernels;

/// <summary>A callback generic over the activation structs, so that code can go from a <see cref="Activation"/> value
/// to the struct type that the kernels are instantiated with.</summary>
internal interface IActivationVisitor
{
    void Visit<TAct>(TAct act) where TAct : struct, IActivation;
}

/// <summary>The runtime's one table of activations: each <see cref="Activation"/> member, its kernel struct, and (in
/// <see cref="VectorActivation"/>) its vector members. Adding an activation: its struct in Activations.cs (scalar and
/// vector members), a case here and one in each chain of VectorActivation; the generator's table mirrors the enum.
/// ActivationTableTests walks the enum and fails for a member that a table misses.</summary>
internal static class ActivationTable
{
    /// <summary>Calls <paramref name="visitor"/> with the struct for <paramref name="activation"/>; <paramref name="parameter"/>
    /// is LeakyReLU's slope or ELU's alpha and is ignored by the others.</summary>
    public static void Visit<TVisitor>(Activation activation, double parameter, TVisitor visitor) where TVisitor : IActivationVisitor
    {
        switch (activation)
        {
            case Activation.Identity: visitor.Visit(new Identity()); break;
            case Activation.Sigmoid: visitor.Visit(new Sigmoid()); break;
            case Activation.Tanh: visitor.Visit(new Tanh()); break;
            case Activation.ReLU: visitor.Visit(new ReLU()); break;
            case Activation.LeakyReLU: visitor.Visit(new LeakyReLU(parameter)); break;
            case Activation.GELU: visitor.Visit(new GELU()); break;
            case Activation.GELUTanh: visitor.Visit(new GELUTanh()); break;
            case Activation.SiLU: visitor.Visit(new SiLU()); break;
            case Activation.Softplus: visitor.Visit(new Softplus()); break;
            case Activation.ELU: visitor.Visit(new ELU(parameter)); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "no kernel struct for this activation");
        }
    }
}

/// <summary>Static dispatch from an activation struct to its <see cref="IVectorActivation"/> members. The typeof tests
/// are JIT-time constants for struct type arguments, so each kernel instantiation keeps one branch. An IActivation
/// written outside this assembly has no vector members: the kernels run its scalar members.</summary>
internal static class VectorActivation
{
    /// <summary>TAct has vector members (every built-in activation).</summary>
    /// <remarks>Forced inline: the epilogue asks it once per row, and in the forward kernels, which inline much else, the
    /// JIT otherwise left it a call (seen in perf profiles at 128 bits).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSupported<TAct>() where TAct : struct, IActivation => default(TAct) is IVectorActivation;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Forward<T, TAct, TVec, TOps>(ref TAct act, TVec z)
        where T : unmanaged where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        if (typeof(TAct) == typeof(Identity)) return z;
        if (typeof(TAct) == typeof(ReLU)) return CallForward<T, ReLU, TVec, TOps>(ref Unsafe.As<TAct, ReLU>(ref act), z);
        if (typeof(TAct) == typeof(LeakyReLU)) return CallForward<T, LeakyReLU, TVec, TOps>(ref Unsafe.As<TAct, LeakyReLU>(ref act), z);
        if (typeof(TAct) == typeof(Sigmoid)) return CallForward<T, Sigmoid, TVec, TOps>(ref Unsafe.As<TAct, Sigmoid>(ref act), z);
        if (typeof(TAct) == typeof(Tanh)) return CallForward<T, Tanh, TVec, TOps>(ref Unsafe.As<TAct, Tanh>(ref act), z);
        if (typeof(TAct) == typeof(GELU)) return CallForward<T, GELU, TVec, TOps>(ref Unsafe.As<TAct, GELU>(ref act), z);
        if (typeof(TAct) == typeof(GELUTanh)) return CallForward<T, GELUTanh, TVec, TOps>(ref Unsafe.As<TAct, GELUTanh>(ref act), z);
        if (typeof(TAct) == typeof(SiLU)) return CallForward<T, SiLU, TVec, TOps>(ref Unsafe.As<TAct, SiLU>(ref act), z);
        if (typeof(TAct) == typeof(Softplus)) return CallForward<T, Softplus, TVec, TOps>(ref Unsafe.As<TAct, Softplus>(ref act), z);
        if (typeof(TAct) == typeof(ELU)) return CallForward<T, ELU, TVec, TOps>(ref Unsafe.As<TAct, ELU>(ref act), z);
        throw new NotSupportedException($"{typeof(TAct).Name} has no vector members");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Derivative<T, TAct, TVec, TOps>(ref TAct act, TVec z, TVec a)
        where T : unmanaged where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        if (typeof(TAct) == typeof(Identity)) return TOps.One;
        if (typeof(TAct) == typeof(ReLU)) return CallDerivative<T, ReLU, TVec, TOps>(ref Unsafe.As<TAct, ReLU>(ref act), z, a);
        if (typeof(TAct) == typeof(LeakyReLU)) return CallDerivative<T, LeakyReLU, TVec, TOps>(ref Unsafe.As<TAct, LeakyReLU>(ref act), z, a);
        if (typeof(TAct) == typeof(Sigmoid)) return CallDerivative<T, Sigmoid, TVec, TOps>(ref Unsafe.As<TAct, Sigmoid>(ref act), z, a);
        if (typeof(TAct) == typeof(Tanh)) return CallDerivative<T, Tanh, TVec, TOps>(ref Unsafe.As<TAct, Tanh>(ref act), z, a);
        if (typeof(TAct) == typeof(GELU)) return CallDerivative<T, GELU, TVec, TOps>(ref Unsafe.As<TAct, GELU>(ref act), z, a);
        if (typeof(TAct) == typeof(GELUTanh)) return CallDerivative<T, GELUTanh, TVec, TOps>(ref Unsafe.As<TAct, GELUTanh>(ref act), z, a);
        if (typeof(TAct) == typeof(SiLU)) return CallDerivative<T, SiLU, TVec, TOps>(ref Unsafe.As<TAct, SiLU>(ref act), z, a);
        if (typeof(TAct) == typeof(Softplus)) return CallDerivative<T, Softplus, TVec, TOps>(ref Unsafe.As<TAct, Softplus>(ref act), z, a);
        if (typeof(TAct) == typeof(ELU)) return CallDerivative<T, ELU, TVec, TOps>(ref Unsafe.As<TAct, ELU>(ref act), z, a);
        throw new NotSupportedException($"{typeof(TAct).Name} has no vector members");
    }

    // The constrained calls through the interface: the JIT resolves them for the struct and inlines.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec CallForward<T, TV, TVec, TOps>(ref TV act, TVec z)
        where T : unmanaged where TV : struct, IVectorActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
        => act.Forward<T, TVec, TOps>(z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec CallDerivative<T, TV, TVec, TOps>(ref TV act, TVec z, TVec a)
        where T : unmanaged where TV : struct, IVectorActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
        => act.Derivative<T, TVec, TOps>(z, a);
}
