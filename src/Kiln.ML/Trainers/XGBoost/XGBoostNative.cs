using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kiln.ML.Trainers.XGBoost;

/// <summary>
/// P/Invoke into Debian's libxgboost0 (1.7.4), declared from include/xgboost/c_api.h at v1.7.4.
/// bst_ulong is uint64_t; every function returns 0 on success and -1 with XGBGetLastError set.
/// The library is named by its soname because Debian ships no unversioned libxgboost.so symlink
/// without the -dev package.
/// </summary>
internal static unsafe partial class XGBoostNative
{
    private const string Lib = "libxgboost.so.0";

    /// <summary>
    /// libgomp reads OMP_WAIT_POLICY once, when libxgboost loads it, so this must run before the
    /// first call into libxgboost (a static constructor runs before any member is used). Unset,
    /// libgomp lets idle threads spin; with more runnable threads than cores (Kiln shares 2 cores
    /// with its server and other jobs) the spinning threads steal the workers' time: on adult-income
    /// at load 6–16, 100 rounds took 10–20 s spinning and 0.9–1.7 s passive, through ./kiln ml train
    /// and bench/ml/xgb_direct.c alike. A value the user set is kept. .NET's
    /// Environment.SetEnvironmentVariable does not reach the native environment on Linux, hence
    /// libc's setenv.
    /// </summary>
    static XGBoostNative() => setenv("OMP_WAIT_POLICY", "passive", 0);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport(Lib)]
    private static partial nint XGBGetLastError();

    [LibraryImport(Lib)]
    public static partial void XGBoostVersion(out int major, out int minor, out int patch);

    [LibraryImport(Lib)]
    public static partial int XGDMatrixCreateFromMat_omp(float* data, ulong nrow, ulong ncol, float missing, out nint handle, int nthread);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int XGDMatrixSetFloatInfo(nint handle, string field, float* array, ulong len);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int XGDMatrixSetUIntInfo(nint handle, string field, uint* array, ulong len);

    [LibraryImport(Lib)]
    public static partial int XGDMatrixFree(nint handle);

    [LibraryImport(Lib)]
    public static partial int XGBoosterCreate(nint* dmats, ulong len, out nint handle);

    [LibraryImport(Lib)]
    public static partial int XGBoosterFree(nint handle);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int XGBoosterSetParam(nint handle, string name, string value);

    [LibraryImport(Lib)]
    public static partial int XGBoosterUpdateOneIter(nint handle, int iter, nint dtrain);

    [LibraryImport(Lib)]
    public static partial int XGBoosterEvalOneIter(nint handle, int iter, nint* dmats, nint* evnames, ulong len, out nint result);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int XGBoosterPredictFromDMatrix(nint handle, nint dmat, string config, out ulong* shape, out ulong dim, out float* result);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int XGBoosterSaveModel(nint handle, string fname);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int XGBoosterLoadModel(nint handle, string fname);

    [LibraryImport(Lib)]
    public static partial int XGBoosterSlice(nint handle, int beginLayer, int endLayer, int step, out nint sliced);

    [LibraryImport(Lib)]
    public static partial int XGBoosterBoostedRounds(nint handle, out int rounds);

    /// <summary>
    /// Turns a non-zero return into an exception carrying libxgboost's own message. Inlined, so the
    /// training loop's two calls per round are not a method the runtime counts and recompiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int rc)
    {
        if (rc != 0)
        {
            Fail();
        }
    }

    [DoesNotReturn]
    private static void Fail() =>
        throw new InvalidOperationException("xgboost: " + (Marshal.PtrToStringUTF8(XGBGetLastError()) ?? "unknown error"));
}

/// <summary>Owns a DMatrix handle.</summary>
internal sealed unsafe class DMatrixHandle : SafeHandle
{
    private DMatrixHandle() : base(0, true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public static DMatrixHandle FromDense(Data.DenseMatrix m, float[]? labels, int threads)
    {
        var h = new DMatrixHandle();
        fixed (float* p = m.Data)
        {
            // NaN marks a missing value, the same convention as Kiln's readers and Python's DMatrix.
            XGBoostNative.Check(XGBoostNative.XGDMatrixCreateFromMat_omp(p, (ulong)m.Rows, (ulong)m.Cols, float.NaN, out var raw, threads));
            h.SetHandle(raw);
        }
        if (labels is not null)
        {
            fixed (float* l = labels)
            {
                XGBoostNative.Check(XGBoostNative.XGDMatrixSetFloatInfo(h.handle, "label", l, (ulong)labels.Length));
            }
        }
        return h;
    }

    /// <summary>Query groups for the rank: objectives: the sizes of consecutive runs of rows, in row order.</summary>
    public void SetGroups(uint[] sizes)
    {
        fixed (uint* g = sizes)
        {
            XGBoostNative.Check(XGBoostNative.XGDMatrixSetUIntInfo(handle, "group", g, (ulong)sizes.Length));
        }
    }

    protected override bool ReleaseHandle() => XGBoostNative.XGDMatrixFree(handle) == 0;
}

/// <summary>Owns a Booster handle.</summary>
internal sealed class BoosterHandle : SafeHandle
{
    public BoosterHandle(nint raw) : base(0, true) => SetHandle(raw);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => XGBoostNative.XGBoosterFree(handle) == 0;
}
