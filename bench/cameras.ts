/**
 * `node dist/bench/cameras.js`: how the daemon scales with cameras on this
 * gateway. The real `edge-agent run` with 1, 2 and 4 RTSP cameras (each its own
 * GStreamer RTSP server on loopback looping the person-crossing clip at
 * 640x360) and a real mosquitto, one configuration after another, side by
 * side: sustained analysed fps (total and per camera), drops and sheds, CPU of
 * the daemon's process tree, RSS of node and of its ffmpeg children, events,
 * the ratios between configurations, and how much else was running.
 * The table (or with --json one JSON object) goes to stdout, progress to stderr.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config/load.js';
import { isAgentError } from '../src/core/errors.js';
import { Mosquitto } from '../test/support/mosquitto.js';
import { prepareCameraClip, type CameraClip } from './cameras-clip.js';
import { parseCamerasOptions, USAGE, type CamerasOptions } from './cameras-options.js';
import { renderCamerasText, type CamerasBench } from './cameras-report.js';
import { scaling, summarise } from './cameras-result.js';
import { CameraFleet } from './cameras-rtsp.js';
import { cameraNames, runConfiguration, type ConfigRun, type RunContext } from './cameras-run.js';
import { findRoot } from './options.js';

/** Frames analysed per second per camera, as a typical gateway config asks. */
const DETECT_FPS = 5;
/** mqtt.statsIntervalS for the daemon: the counters' resolution, and the window's step, s. */
const STATS_INTERVAL_S = 5;
/** Pause between configurations so the previous daemon's exit does not land in the next warm-up, ms. */
const SETTLE_MS = 2000;

const say = (line: string): void => void process.stderr.write(`bench cameras: ${line}\n`);

async function main(): Promise<void> {
  const root = findRoot(import.meta.url);
  const opts = parseCamerasOptions(process.argv.slice(2), root);
  const tmp = await mkdtemp(join(tmpdir(), 'edge-agent-bench-cameras-'));
  try {
    const bench = await runAll(opts, tmp);
    process.stdout.write(opts.json ? `${JSON.stringify(bench, roundNumbers)}\n` : renderCamerasText(bench));
    if (bench.runs.some((r) => r.exit.code !== 0 || r.exit.leftovers.length > 0)) process.exitCode = 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function runAll(opts: CamerasOptions, tmp: string): Promise<CamerasBench> {
  const date = new Date().toISOString();
  say('preparing the 640x360 camera clip');
  const clip = await prepareCameraClip(opts.root);
  say(`clip ${clip.path} (${clip.made ? 'transcoded now' : 'cached'})`);
  const cameras = await CameraFleet.start(cameraNames(Math.max(...opts.counts)), clip.path);
  let broker: Mosquitto | undefined;
  try {
    broker = await Mosquitto.start();
    say(`${cameras.size} RTSP cameras on 127.0.0.1 ports ${cameras.ports().join(', ')}, mosquitto on ${broker.url}`);
    const runs: ConfigRun[] = [];
    for (const n of opts.counts) {
      if (runs.length > 0) await new Promise((r) => setTimeout(r, SETTLE_MS));
      runs.push(await runConfiguration(n, context(opts, tmp, clip, cameras, broker.url)));
    }
    return assemble(opts, date, clip, runs);
  } finally {
    await broker?.cleanup();
    await cameras.stop();
  }
}

function context(opts: CamerasOptions, tmp: string, clip: CameraClip, cameras: CameraFleet, brokerUrl: string): RunContext {
  return {
    root: opts.root,
    tmp,
    brokerUrl,
    cameras,
    width: clip.width,
    height: clip.height,
    fps: DETECT_FPS,
    seconds: windowSeconds(opts),
    warmupS: opts.warmupS,
    statsIntervalS: STATS_INTERVAL_S,
    say,
  };
}

/** --seconds rounded up to whole stats intervals: the window runs from one stats message to another. */
function windowSeconds(opts: CamerasOptions): number {
  return Math.ceil(opts.seconds / STATS_INTERVAL_S) * STATS_INTERVAL_S;
}

function assemble(opts: CamerasOptions, date: string, clip: CameraClip, runs: ConfigRun[]): CamerasBench {
  const { made: _made, ...feed } = clip;
  const summaries = runs.map((r) => summarise(r, DETECT_FPS));
  return {
    env: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', date },
    feed: { ...feed, detectWidth: clip.width, detectHeight: clip.height, detectFps: DETECT_FPS },
    options: {
      seconds: windowSeconds(opts),
      warmupS: opts.warmupS,
      statsIntervalS: STATS_INTERVAL_S,
      cooldownS: defaultConfig().confirm.cooldownS,
    },
    runs,
    summaries,
    scaling: scaling(runs, summaries),
  };
}

/** JSON.stringify replacer: three decimals are past any precision these figures have. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}

/** Operational errors as one line; bad flags with the usage; anything else with its stack. */
function describe(e: unknown): string {
  if (isAgentError(e)) return e.oneLine();
  const code = (e as { code?: unknown })?.code;
  if (e instanceof RangeError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) return `${(e as Error).message}\n${USAGE}`;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench cameras failed: ${describe(e)}\n`);
  process.exitCode = 1;
});
