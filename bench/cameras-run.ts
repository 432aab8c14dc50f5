/**
 * One configuration of the multi-camera bench: the real daemon (`edge-agent
 * run`) with N RTSP cameras and a broker, warmed up, measured over a window of
 * whole stats intervals, then stopped with SIGTERM.
 *
 * The window runs from the first stats message after the warm-up in which
 * every camera has analysed frames to the first one at least `seconds` later;
 * counters are the difference of the two, CPU is sampled from /proc when each
 * arrives, memory every second.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import type { StatsMessage } from '../src/mqtt/topics.js';
import { processesMentioning } from '../test/support/rtsp-server.js';
import { CameraFleet } from './cameras-rtsp.js';
import { DaemonProcess, type DaemonExit, type DaemonLog } from './cameras-daemon.js';
import { StatsFeed, type StatsArrival } from './cameras-feed.js';
import { cpuShares, cpuSnapshot, MemoryTracker, type CpuShares, type MemoryFigures } from './cameras-usage.js';

export interface RunContext {
  readonly root: string;
  /** Folder for this run's configs and event stores. */
  readonly tmp: string;
  readonly brokerUrl: string;
  /** The RTSP cameras cam1, cam2, ...: their URLs, and restart() for one whose server wedged. */
  readonly cameras: CameraFleet;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Window, s (rounded up to whole stats intervals), and the least time from spawn to its start, s. */
  readonly seconds: number;
  readonly warmupS: number;
  /** mqtt.statsIntervalS given to the daemon, s. */
  readonly statsIntervalS: number;
  readonly say: (line: string) => void;
}

/** Counters of the daemon's stats message per camera (see Daemon.cameraStats). */
export type CameraCounters = Record<'fpsIn' | 'framesIn' | 'framesDropped' | 'analysed' | 'reconnects' | 'stalls' | 'detectorShed' | 'events', number>;

export interface ConfigRun {
  readonly cameras: number;
  readonly detector: DaemonLog['detector'];
  /** Seconds from spawn to the daemon's 'running' line and to the window's start. */
  readonly runningAtS: number | null;
  readonly windowStartS: number;
  /** Window length by the daemon's clock, s. */
  readonly windowS: number;
  /** Per camera: counters at the window's start and end. */
  readonly start: Record<string, CameraCounters>;
  readonly end: Record<string, CameraCounters>;
  /** Cameras whose RTSP server was restarted during the warm-up because they delivered no frame. */
  readonly rtspRestarts: readonly string[];
  /** Event messages the subscriber received from spawn to the window's end. */
  readonly eventsDelivered: number;
  readonly cpu: CpuShares;
  readonly memory: MemoryFigures;
  readonly exit: DaemonExit & { readonly leftovers: string[] };
  readonly log: Pick<DaemonLog, 'warnings' | 'errors' | 'problems'>;
}

export const DEVICE = 'bench-cameras';
const PREFIX = 'edge-agent';
/** The daemon's own stop deadline is 20 s plus a 5 s hard exit; past this it is hung. */
const STOP_WAIT_MS = 30_000;
/** How long after the warm-up every camera may take to deliver its first analysed frame, ms. */
const STREAMING_WAIT_MS = 10_000;
/** After restarting a silent camera's server: the supervisor's backoff (up to 30 s) plus a connect, ms. */
const REVIVED_WAIT_MS = 60_000;

export async function runConfiguration(n: number, ctx: RunContext): Promise<ConfigRun> {
  const dir = join(ctx.tmp, `${n}-cameras`);
  await mkdir(dir, { recursive: true });
  const file = await writeConfig(dir, n, ctx);
  const feed = await StatsFeed.connect(ctx.brokerUrl, PREFIX, DEVICE);
  const daemon = DaemonProcess.start(ctx.root, file);
  const memory = new MemoryTracker(daemon.pid);
  memory.start();
  try {
    const w = await measure(daemon, feed, n, ctx);
    const figures = memory.end();
    const eventsDelivered = feed.events;
    ctx.say(`${n} camera(s): SIGTERM`);
    const exit = await stopAndCheck(daemon, n, ctx);
    ctx.say(`${n} camera(s): exited ${exit.signal ?? `code ${exit.code}`} after ${exit.stopS.toFixed(1)} s${exit.leftovers.length ? `, ${exit.leftovers.length} ffmpeg left behind` : ''}`);
    const { warnings, errors, problems } = daemon.log;
    return { cameras: n, detector: daemon.log.detector, runningAtS: daemon.log.runningAtS, ...w, eventsDelivered, memory: figures, exit, log: { warnings, errors, problems } };
  } finally {
    memory.stop();
    if (daemon.running) await daemon.stop(0);
    await feed.close();
  }
}

async function writeConfig(dir: string, n: number, ctx: RunContext): Promise<string> {
  const raw = {
    device: { id: DEVICE },
    cameras: cameraNames(n).map((name) => ({ name, input: ctx.cameras.url(name), detect: { width: ctx.width, height: ctx.height, fps: ctx.fps } })),
    storage: { db: join(dir, 'events.db'), snapshots: join(dir, 'snapshots') },
    mqtt: { url: ctx.brokerUrl, topicPrefix: PREFIX, statsIntervalS: ctx.statsIntervalS },
  };
  const file = join(dir, 'config.yaml');
  parseConfig(raw, file); // a readable CONFIG_INVALID here rather than in the daemon's stderr
  await writeFile(file, stringify(raw));
  return file;
}

export function cameraNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `cam${i + 1}`);
}

type Window = Pick<ConfigRun, 'windowStartS' | 'windowS' | 'start' | 'end' | 'cpu' | 'rtspRestarts'>;

async function measure(daemon: DaemonProcess, feed: StatsFeed, n: number, ctx: RunContext): Promise<Window> {
  ctx.say(`${n} camera(s): daemon pid ${daemon.pid}, warming up ${ctx.warmupS} s`);
  await daemon.unlessExited(sleep(Math.max(0, ctx.warmupS - daemon.ageS()) * 1000));
  const restarts: string[] = [];
  const base = await allStreaming(daemon, feed, n, ctx, restarts);
  const cpu0 = cpuSnapshot(daemon.pid);
  const windowStartS = daemon.ageS();
  const d = daemon.log.detector;
  ctx.say(`${n} camera(s): detector ${d ? `${d.runtime} ready at ${d.atS.toFixed(1)} s` : 'ready line not seen'}; measuring ${ctx.seconds} s from ${windowStartS.toFixed(1)} s`);
  let last = base;
  while (secondsBetween(base.msg, last.msg) < ctx.seconds - 1) {
    const next = feed.next(() => true, feed.indexOf(last), 3 * ctx.statsIntervalS * 1000, 'the next interval');
    last = await daemon.unlessExited(next.catch((e: unknown) => Promise.reject(explain(e, feed, daemon))));
    ctx.say(`${n} camera(s): +${secondsBetween(base.msg, last.msg).toFixed(0)} s ${progress(base.msg, last.msg)}`);
  }
  const cpu = cpuShares(cpu0, cpuSnapshot(daemon.pid));
  return { windowStartS, windowS: secondsBetween(base.msg, last.msg), start: counters(base.msg), end: counters(last.msg), cpu, rtspRestarts: restarts };
}

/**
 * The first stats message in which every camera has analysed frames. A camera
 * still silent STREAMING_WAIT_MS after the warm-up has its RTSP server
 * restarted once (see cameras-rtsp.ts); the daemon must then reconnect by
 * itself, and the window starts one interval after it did.
 */
async function allStreaming(daemon: DaemonProcess, feed: StatsFeed, n: number, ctx: RunContext, restarts: string[]): Promise<StatsArrival> {
  const silent = (a: StatsArrival | undefined): string[] => cameraNames(n).filter((name) => !((a?.msg.cameras?.[name]?.analysed ?? 0) > 0));
  const wait = (ms: number): Promise<StatsArrival> =>
    daemon.unlessExited(feed.next((a) => silent(a).length === 0, feed.stats.length - 1, ms, `all ${n} cameras analysing frames`));
  try {
    return await wait(STREAMING_WAIT_MS);
  } catch (e) {
    const names = silent(feed.stats.at(-1));
    if (!daemon.running || feed.stats.length === 0 || names.length === 0) throw explain(e, feed, daemon);
    ctx.say(`${n} camera(s): ${names.join(', ')} delivered no frame; restarting ${names.length === 1 ? 'its RTSP server' : 'their RTSP servers'}`);
    for (const name of names) await ctx.cameras.restart(name);
    restarts.push(...names);
    const revived = await wait(REVIVED_WAIT_MS).catch((e2: unknown) => Promise.reject(explain(e2, feed, daemon)));
    // One more interval, so the revived camera's connect is not inside the window.
    return daemon.unlessExited(feed.next(() => true, feed.indexOf(revived), 3 * ctx.statsIntervalS * 1000, 'the next interval'));
  }
}

/** A wait that timed out, with what the feed and the daemon's log said so far. */
function explain(e: unknown, feed: StatsFeed, daemon: DaemonProcess): Error {
  const last = feed.stats.at(-1)?.msg;
  const cams = last ? JSON.stringify(last.cameras ?? {}) : 'none';
  const problems = daemon.log.problems.length > 0 ? daemon.log.problems.join(' | ') : 'none';
  const lines = [
    `${e instanceof Error ? e.message : String(e)} (daemon age ${daemon.ageS().toFixed(1)} s)`,
    `stats messages received: ${feed.stats.length}; last counters: ${cams}`,
    `daemon warnings/errors (last ${daemon.log.problems.length}): ${problems}`,
    `daemon stderr tail:\n${daemon.log.tail.join('\n')}`,
  ];
  return new Error(lines.join('\n'));
}

function secondsBetween(a: StatsMessage, b: StatsMessage): number {
  return (Date.parse(b.at) - Date.parse(a.at)) / 1000;
}

function counters(msg: StatsMessage): Record<string, CameraCounters> {
  return Object.fromEntries(Object.entries(msg.cameras ?? {}).map(([name, c]) => [name, c as CameraCounters]));
}

/** "analysed 14.8/s, dropped 0.0/s, shed 0.2/s" summed over cameras so far in the window. */
function progress(a: StatsMessage, b: StatsMessage): string {
  const s = secondsBetween(a, b);
  const sum = (k: keyof CameraCounters): string => {
    const d = Object.keys(b.cameras ?? {}).reduce((t, name) => t + (b.cameras?.[name]?.[k] ?? 0) - (a.cameras?.[name]?.[k] ?? 0), 0);
    return (d / s).toFixed(1);
  };
  return `analysed ${sum('analysed')}/s, dropped ${sum('framesDropped')}/s, shed ${sum('detectorShed')}/s`;
}

/** SIGTERM; then no ffmpeg may still be reading the cameras (they would be orphans of the daemon). */
async function stopAndCheck(daemon: DaemonProcess, n: number, ctx: RunContext): Promise<ConfigRun['exit']> {
  const exit = await daemon.stop(STOP_WAIT_MS);
  const urls = cameraNames(n).map((name) => ctx.cameras.url(name));
  const find = async (): Promise<string[]> => (await Promise.all(urls.map((u) => processesMentioning(u)))).flat();
  let leftovers = await find();
  for (let i = 0; i < 10 && leftovers.length > 0; i++) {
    await sleep(100); // an ffmpeg that got SIGTERM with the daemon may take a moment to go
    leftovers = await find();
  }
  for (const line of leftovers) process.kill(Number(line.split(':')[0]), 'SIGKILL');
  return { ...exit, leftovers };
}
