namespace GradGen.Dashboard.Tests;

/// <summary>The store's down-sampling list: a live run makes an item only when <see cref="DecimatingList{T}.KeepsNext"/>
/// says it will be kept, and skips the others; that must keep exactly what adding every item keeps.</summary>
public class DecimatingListTests
{
    [Theory]
    [InlineData(10, 7)]
    [InlineData(10, 10)]
    [InlineData(10, 11)]
    [InlineData(1000, 20_000)]
    [InlineData(7, 5_000)]
    public void SkippingWhatWouldBeDroppedKeepsTheSameItems(int capacity, int offered)
    {
        var all = new DecimatingList<int>(capacity);
        var lazy = new DecimatingList<int>(capacity);
        for (int i = 1; i <= offered; i++)
        {
            all.Add(i);
            if (lazy.KeepsNext) lazy.Add(i);
            else lazy.Skip();
            Assert.Equal(all.KeptLast, lazy.KeptLast);
            Assert.Equal(all.KeptLast, all.Items[^1] == i);
        }
        Assert.Equal(all.Items, lazy.Items);
        Assert.Equal(1, lazy.Items[0]);
        Assert.InRange(lazy.Items.Count, capacity / 2, capacity + 1);
    }

    [Fact]
    public void SkippingAnItemThatWouldBeKeptIsRefused()
    {
        var list = new DecimatingList<int>(4);
        Assert.True(list.KeepsNext);
        Assert.Throws<InvalidOperationException>(list.Skip);
    }
}
