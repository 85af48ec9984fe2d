using System.Diagnostics;
using System.Globalization;

/// <summary>
/// Samples a client's memory from /proc while it runs, beside GNU time's peak RSS. Of eight install processes running side
/// by side, the pages they map from the same files (the runtime, the framework's assemblies, libcrypto) are in memory once:
/// RSS counts them in every process, PSS divides each such page between the processes that map it (other .NET processes on
/// the machine included), and the private dirty pages (anonymous memory, the JIT's code and the type loader's data, pages
/// written in a mapped file) are what each process adds on its own whoever else runs. (Private_Clean is left out: a file
/// page counts as private whenever no other process happens to map it, as when one install of eight finishes last.)
/// The client is the child of /usr/bin/time (found through /proc/PID/task/PID/children).
/// </summary>
internal sealed class MemorySampler
{
    private readonly Process _time;
    private readonly Thread _thread;
    private volatile bool _stop;

    private MemorySampler(Process time)
    {
        _time = time;
        _thread = new Thread(Sample) { IsBackground = true, Name = "memory sampler" };
    }

    /// <summary>The largest PSS seen, KiB.</summary>
    public long PeakPssKib { get; private set; }

    /// <summary>The largest private dirty memory seen (Private_Dirty), KiB.</summary>
    public long PeakPrivateDirtyKib { get; private set; }

    /// <summary>Starts sampling the child of <paramref name="time"/> every 10 ms.</summary>
    public static MemorySampler Start(Process time)
    {
        var sampler = new MemorySampler(time);
        sampler._thread.Start();
        return sampler;
    }

    /// <summary>Stops sampling (call after the process exited).</summary>
    public void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    private void Sample()
    {
        int child = 0;
        while (!_stop)
        {
            try
            {
                if (child == 0)
                {
                    string[] children = File.ReadAllText($"/proc/{_time.Id}/task/{_time.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (children.Length > 0) child = int.Parse(children[0], CultureInfo.InvariantCulture);
                }
                if (child != 0) Read(File.ReadAllLines($"/proc/{child}/smaps_rollup"));
            }
            catch (IOException)
            {
                // Not started yet, or gone: the last sample stands.
            }
            catch (UnauthorizedAccessException)
            {
            }
            Thread.Sleep(10);
        }
    }

    private void Read(string[] rollup)
    {
        foreach (string line in rollup)
        {
            if (line.StartsWith("Pss:", StringComparison.Ordinal)) PeakPssKib = Math.Max(PeakPssKib, Kib(line));
            else if (line.StartsWith("Private_Dirty:", StringComparison.Ordinal)) PeakPrivateDirtyKib = Math.Max(PeakPrivateDirtyKib, Kib(line));
        }
    }

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
