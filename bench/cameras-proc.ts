/**
 * Process-tree accounting from Linux /proc: CPU jiffies of a process and all
 * its descendants, and their resident memory.
 *
 * A tree's CPU = its root's utime+stime + cutime+cstime (the children it has
 * already reaped: an ffmpeg that exited during the window still counts) + the
 * utime+stime of every live descendant. Threads (the detector worker, libuv,
 * onnxruntime) are inside their process's figures.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Executable name as the kernel keeps it (at most 15 characters), e.g. "ffmpeg". */
  readonly comm: string;
  /** utime + stime, jiffies. */
  readonly own: number;
  /** cutime + cstime (reaped children), jiffies. */
  readonly reaped: number;
}

export type ProcTable = ReadonlyMap<number, ProcInfo>;

/** Every process visible in /proc; ones that exit while it is read are skipped. */
export function readProcs(): ProcTable {
  const table = new Map<number, ProcInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info) table.set(info.pid, info);
  }
  return table;
}

function readStat(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited between readdir and read
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  // After the command name: state [0], ppid [1], ..., utime [11], stime [12], cutime [13], cstime [14].
  const f = text.slice(close + 2).split(' ');
  const n = (i: number): number => Number(f[i] ?? 0);
  return { pid, ppid: n(1), comm: text.slice(open + 1, close), own: n(11) + n(12), reaped: n(13) + n(14) };
}

/** The pids below `root` (children, grandchildren, ...), not root itself. */
export function descendants(table: ProcTable, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of table.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    found.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return found;
}

export interface TreeCpu {
  /** The root process's own utime+stime, jiffies. */
  readonly root: number;
  /** Everything below it: reaped children plus live descendants, jiffies. */
  readonly below: number;
}

/** CPU of a tree; zeros when the root is gone (it then cannot be measured). */
export function treeCpu(table: ProcTable, root: number): TreeCpu {
  const r = table.get(root);
  if (!r) return { root: 0, below: 0 };
  const live = descendants(table, root).reduce((s, pid) => s + (table.get(pid)?.own ?? 0), 0);
  return { root: r.own, below: r.reaped + live };
}

/** utime+stime of each thread of one process, jiffies by thread id; empty when it is gone. */
export function threadCpu(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(tid), Number(f[11] ?? 0) + Number(f[12] ?? 0));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return threads;
}

export interface ProcMemory {
  /** VmRSS, MiB. */
  readonly rssMiB: number;
  /** VmHWM: the process's peak RSS so far, MiB. */
  readonly peakMiB: number;
}

/** RSS and peak RSS of one process; null when it is gone. */
export function procMemory(pid: number): ProcMemory | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/**
 * Proportional set size, MiB: shared pages (libavcodec, libc) divided among
 * the processes mapping them, so a sum over ffmpeg children is what they
 * really add. null when the process is gone or smaps_rollup is unreadable.
 */
export function procPssMiB(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
    return kib === undefined ? null : Number(kib) / 1024;
  } catch {
    return null;
  }
}
