using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class AllocationTests
{
    [Fact]
    public void KernelsDoNotAllocate()
    {
        const int batch = 33, inF = 100, outF = 17;
        double[] x = Random<double>(batch * inF, 1), w = Random<double>(outF * inF, 2), b = Random<double>(outF, 3);
        double[] a = new double[batch * outF], z = new double[batch * outF], da = Random<double>(batch * outF, 4);
        double[] dz = new double[batch * outF], dw = new double[outF * inF], db = new double[outF], dx = new double[batch * inF];
        float[] xf = Random<float>(batch * inF, 1), wf = Random<float>(outF * inF, 2), af = new float[batch * outF], zf = new float[batch * outF];
        float[] daf = Random<float>(batch * outF, 4), dzf = new float[batch * outF], dwf = new float[outF * inF], dxf = new float[batch * inF];
        double[] mean = new double[batch], rstd = new double[batch], y = new double[batch * outF];
        int[] target = new int[batch];

        void Step()
        {
            Dense.Forward<double, GELU>(a, outF, z, x, inF, w, b, [], 0, batch, inF, outF, default);
            Dense.Backward<double, GELU>(dx, inF, false, dw, db, dz, da, outF, z, a, outF, x, inF, w, batch, inF, outF, default);
            Dense.Forward<double, ReLU>(a, outF, z, x, inF, w, b, a, outF, batch, inF, outF, default);
            Dense.Backward<double, ReLU>(dx, inF, true, dw, db, dz, da, outF, z, [], 0, x, inF, w, batch, inF, outF, default);
            Dense.Forward<float, LeakyReLU>(af, outF, zf, xf, inF, wf, [], [], 0, batch, inF, outF, new LeakyReLU(0.01));
            Dense.Backward<float, LeakyReLU>(dxf, inF, false, dwf, [], dzf, daf, outF, zf, af, outF, xf, inF, wf, batch, inF, outF, new LeakyReLU(0.01));
            // The transposed forward (batches of a few vectors: 24 floats at every x64 width, 16 at 256 and 128 bits).
            Dense.Forward<float, LeakyReLU>(af, outF, zf, xf, inF, wf, [], [], 0, 24, inF, outF, new LeakyReLU(0.01));
            Dense.Forward<float, LeakyReLU>(af, outF, zf, xf, inF, wf, [], [], 0, 16, inF, outF, new LeakyReLU(0.01));
            Elementwise.Activate<double, Tanh>(y, outF, z, a, outF, [], 0, batch, outF, default);
            Elementwise.ActivateBackward<double, Tanh>(dz, da, outF, z, outF, y, outF, batch, outF, default);
            Elementwise.Copy<double>(dz, outF, da, outF, batch, outF, true);
            LayerNorm.Forward<double>(y, outF, mean, rstd, a, outF, b, b, batch, outF, 1e-5);
            LayerNorm.Backward<double>(dz, outF, false, db, db, da, outF, a, outF, mean, rstd, b, batch, outF);
            Losses.SoftmaxCrossEntropy<double>(dz, a, target, batch, outF);
            Losses.MeanSquaredError<double>(dz, a, y, batch, outF);
            Losses.BinaryCrossEntropyWithLogits<double>(dz, a, y, batch, outF);
        }

        for (int i = 0; i < 3; i++) Step(); // warm up: JIT, tiered compilation, static initialisers
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Contains(a, v => v != 0); // the kernels did run
    }
}
