/**
 * What a running daemon costs the gateway: CPU of its process tree over a
 * window (node with its threads, plus its ffmpeg children) next to what the
 * bench harness (this process, the RTSP server, the broker) and everything
 * else on the machine took, and the RSS of node and of the ffmpeg children.
 */
import { cpus } from 'node:os';
import { othersCpuPct, sampleCpu, type CpuSample } from './contention.js';
import { descendants, procMemory, procPssMiB, readProcs, threadCpu, treeCpu, type TreeCpu } from './cameras-proc.js';

export interface CpuSnapshot {
  /** /proc/stat totals; `self` is replaced by the bench's whole tree (daemon included). */
  readonly machine: CpuSample;
  readonly daemon: TreeCpu;
  /** The daemon's node threads: jiffies by thread id (the main thread's id is the pid). */
  readonly threads: ReadonlyMap<number, number>;
  readonly daemonPid: number;
}

export function cpuSnapshot(daemonPid: number): CpuSnapshot {
  const table = readProcs();
  const machine = sampleCpu();
  if (!machine) throw new Error('the cameras bench needs Linux /proc (/proc/stat unreadable)');
  const bench = treeCpu(table, process.pid);
  return { machine: { ...machine, self: bench.root + bench.below }, daemon: treeCpu(table, daemonPid), threads: threadCpu(daemonPid), daemonPid };
}

/** CPU shares over a window. "of one core" = 100 is one core busy all the time. */
export interface CpuShares {
  /** The daemon's whole tree: node + ffmpeg children, % of one core. */
  readonly treePctOfCore: number;
  /** The same as % of all cores of the machine. */
  readonly treePctOfMachine: number;
  /** node alone (main thread, detector worker, libuv threads), % of one core. */
  readonly nodePctOfCore: number;
  /** node's main thread (frames from ffmpeg, motion, tracking, MQTT), % of one core. */
  readonly mainThreadPctOfCore: number;
  /**
   * node's busiest other thread, % of one core: the detector worker when
   * detection dominates (Node names every thread "node", so it is picked by use).
   * Near 100 it is a single-thread ceiling that more cameras cannot raise.
   */
  readonly busiestThreadPctOfCore: number;
  /** The ffmpeg children (live and reaped), % of one core. */
  readonly childrenPctOfCore: number;
  /** This bench process, the RTSP servers and the broker, % of one core. */
  readonly harnessPctOfCore: number;
  /** Everything else (other engineers' jobs, hypervisor steal), % of all cores. */
  readonly othersPctOfMachine: number;
  readonly cores: number;
}

export function cpuShares(from: CpuSnapshot, to: CpuSnapshot, cores = cpus().length): CpuShares {
  const perCore = (to.machine.total - from.machine.total) / cores;
  if (!(perCore > 0)) throw new Error('CPU window of zero length');
  const pct = (jiffies: number): number => (jiffies / perCore) * 100;
  const node = to.daemon.root - from.daemon.root;
  const below = to.daemon.below - from.daemon.below;
  const benchTree = to.machine.self - from.machine.self;
  return {
    treePctOfCore: pct(node + below),
    treePctOfMachine: pct(node + below) / cores,
    nodePctOfCore: pct(node),
    mainThreadPctOfCore: pct(threadDelta(from, to, to.daemonPid)),
    busiestThreadPctOfCore: pct(Math.max(0, ...[...to.threads.keys()].filter((t) => t !== to.daemonPid).map((t) => threadDelta(from, to, t)))),
    childrenPctOfCore: pct(below),
    harnessPctOfCore: pct(benchTree - node - below),
    othersPctOfMachine: othersCpuPct(from.machine, to.machine) ?? 0,
    cores,
  };
}

/** A thread's jiffies in the window; one born during it counts whole. */
function threadDelta(from: CpuSnapshot, to: CpuSnapshot, tid: number): number {
  return (to.threads.get(tid) ?? 0) - (from.threads.get(tid) ?? 0);
}

export interface MemoryFigures {
  /** node: peak (VmHWM, exact) and at the end of the window, MiB. */
  readonly nodePeakMiB: number;
  readonly nodeEndMiB: number;
  /** ffmpeg children summed: the highest sampled sum and the sum at the end, MiB. */
  readonly ffmpegPeakMiB: number;
  readonly ffmpegEndMiB: number;
  /** Largest single child's peak (VmHWM), MiB. */
  readonly ffmpegEachPeakMiB: number;
  /** ffmpeg children alive at the end. */
  readonly ffmpegCount: number;
  /** Proportional set sizes at the end (shared library pages split among processes), MiB; null if unreadable. */
  readonly nodePssEndMiB: number | null;
  readonly ffmpegPssEndMiB: number | null;
}

/** Samples the daemon's memory every `everyMs` from start() until end(). */
export class MemoryTracker {
  private timer: NodeJS.Timeout | undefined;
  private nodePeak = 0;
  private ffmpegPeak = 0;
  private ffmpegEachPeak = 0;

  constructor(
    private readonly daemonPid: number,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.everyMs);
  }

  /** No more sampling. Idempotent. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A last sample, the end figures, and no more sampling. */
  end(): MemoryFigures {
    this.stop();
    const now = this.sample();
    const pss = now.ffmpeg.map(procPssMiB);
    return {
      nodePeakMiB: this.nodePeak,
      nodeEndMiB: now.nodeMiB,
      ffmpegPeakMiB: this.ffmpegPeak,
      ffmpegEndMiB: now.ffmpegMiB,
      ffmpegEachPeakMiB: this.ffmpegEachPeak,
      ffmpegCount: now.ffmpeg.length,
      nodePssEndMiB: procPssMiB(this.daemonPid),
      ffmpegPssEndMiB: pss.some((p) => p === null) ? null : pss.reduce<number>((s, p) => s + (p ?? 0), 0),
    };
  }

  private sample(): { nodeMiB: number; ffmpegMiB: number; ffmpeg: number[] } {
    const table = readProcs();
    const node = procMemory(this.daemonPid);
    const ffmpeg = descendants(table, this.daemonPid).filter((pid) => table.get(pid)?.comm === 'ffmpeg');
    const each = ffmpeg.map(procMemory).filter((m) => m !== null);
    const ffmpegMiB = each.reduce((s, m) => s + m.rssMiB, 0);
    this.nodePeak = Math.max(this.nodePeak, node?.peakMiB ?? 0);
    this.ffmpegPeak = Math.max(this.ffmpegPeak, ffmpegMiB);
    this.ffmpegEachPeak = Math.max(this.ffmpegEachPeak, ...each.map((m) => m.peakMiB));
    return { nodeMiB: node?.rssMiB ?? 0, ffmpegMiB, ffmpeg };
  }
}
