/**
 * How much of the machine other processes used during a phase, from Linux
 * /proc: all CPU time minus this process's own (threads included) and its
 * reaped children's (ffmpeg, ffprobe); hypervisor steal counts as taken too.
 * On a 2-core box a parallel test run halves every figure, so the report says
 * when that happened. Tick-based, so phases under a second read a few % high.
 */
import { readFileSync } from 'node:fs';

export interface CpuSample {
  /** Jiffies of all cores: total, and busy (not idle or iowait). */
  readonly total: number;
  readonly busy: number;
  /** Jiffies of this process and its waited-for children. */
  readonly self: number;
}

/** null where /proc is not there (not Linux). */
export function sampleCpu(): CpuSample | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces): state is [0], utime..cstime are [11..14].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const self = (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
    return { total, busy: total - idle, self };
  } catch {
    // No /proc (macOS, Windows): the report prints n/a.
    return null;
  }
}

/** Share (0..100) of all cores' time that others (processes, steal) took between two samples. */
export function othersCpuPct(from: CpuSample | null, to: CpuSample | null): number | null {
  if (!from || !to || to.total <= from.total) return null;
  const others = to.busy - from.busy - (to.self - from.self);
  return Math.max(0, (others / (to.total - from.total)) * 100);
}
