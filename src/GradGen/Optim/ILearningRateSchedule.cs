namespace GradGen.Optim;

/// <summary>
/// A learning rate as a function of the step, as a closed form (PyTorch's <c>_get_closed_form_lr</c>), so that it
/// can be evaluated at any step without replaying the steps before it.
/// </summary>
/// <remarks>
/// The step counts updates already applied: an <see cref="Optimizer{T}"/> evaluates the schedule at
/// <c>StepCount</c> just before each update, so the first update uses step 0. This is PyTorch's order, where
/// <c>scheduler.step()</c> is called after <c>optimizer.step()</c> and <c>last_epoch</c> equals our step.
/// </remarks>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate after <paramref name="step"/> (≥ 0) updates, given the optimizer's base rate.</summary>
    double LearningRate(int step, double baseLearningRate);
}
