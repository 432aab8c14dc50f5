/** The plain-text report of the cameras bench: three aligned tables, then the comparison in words. */
import type { CameraClip } from './cameras-clip.js';
import type { ConfigSummary, Scaling } from './cameras-result.js';
import type { ConfigRun } from './cameras-run.js';

export interface CamerasBench {
  readonly env: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string; readonly date: string };
  readonly feed: Omit<CameraClip, 'made'> & { readonly detectWidth: number; readonly detectHeight: number; readonly detectFps: number };
  readonly options: { readonly seconds: number; readonly warmupS: number; readonly statsIntervalS: number; readonly cooldownS: number };
  readonly runs: readonly ConfigRun[];
  readonly summaries: readonly ConfigSummary[];
  readonly scaling: readonly Scaling[];
}

/** Share of all cores others took above which the figures are called skewed. */
export const CONTENTION_WARN_PCT = 10;
/** Analysed / offered below this is called "did not keep up". */
const KEPT_UP_SHARE = 0.95;

/** First column left-aligned, the others right-aligned, two spaces apart. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return all.map(line).join('\n');
}

const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const pct = (v: number): string => `${f(v, 0)}%`;
const cams = (n: number): string => `${n} camera${n === 1 ? '' : 's'}`;

export function renderCamerasText(b: CamerasBench): string {
  return [header(b), throughput(b), resources(b), perCamera(b), summary(b)].join('\n\n') + '\n';
}

function header(b: CamerasBench): string {
  const e = b.env;
  const c = b.feed;
  const det = b.runs.find((r) => r.detector)?.detector;
  return [
    `edge-agent cameras bench  ${e.date}  node ${e.node} ${e.platform}, ${e.cpus} x ${e.cpuModel}`,
    `feed: person-crossing ${c.width}x${c.height} H.264 @ ${c.fps} fps, ${f(c.loopS, 0)} s loop (person in view ${f(c.personInViewS)} s of each), one GStreamer RTSP server per camera on loopback`,
    `daemon: edge-agent run, detect ${c.detectWidth}x${c.detectHeight} @ ${c.detectFps} fps, detector ${det ? `${det.runtime} (${det.model} ${det.version})` : 'n/a'}, otherwise default config`,
    `window: ${b.options.seconds} s per configuration after >= ${b.options.warmupS} s warm-up; counters from the MQTT stats topic every ${b.options.statsIntervalS} s`,
  ].join('\n');
}

function throughput(b: CamerasBench): string {
  const rows = b.summaries.map((s) => [
    cams(s.cameras), f(s.windowS, 0), f(s.total.analysedPerS, 2), f(s.perCameraAnalysed.mean, 2), `${f(s.perCameraAnalysed.min, 2)}-${f(s.perCameraAnalysed.max, 2)}`,
    pct(s.keptUpShare * 100), f(s.total.inPerS, 2), f(s.total.droppedPerS, 2), f(s.total.shedPerS, 2), String(s.total.events), String(s.total.eventsSinceStart),
    String(s.total.reconnects + s.total.stalls),
  ]);
  const head = ['1. throughput', 'window s', 'analysed/s', 'per camera', 'min-max', 'of offered', 'in/s', 'dropped/s', 'shed/s', 'events', 'since start', 'restarts'];
  const notes = [
    `analysed = frames the pipeline took (motion on each; detection where motion or a track was); offered = cameras x ${b.feed.detectFps} fps;`,
    'in = frames ffmpeg delivered; dropped = frames the source threw away because the pipeline lagged; shed = detector requests the shared detector skipped (overloaded);',
    `events = confirmed in the window / since the daemon started (confirm.cooldownS ${b.options.cooldownS} s: a person crossing the same place again within it is no new event); restarts = reconnects + stalls in the window`,
  ];
  return `${table(head, rows)}\n${notes.join('\n')}`;
}

function resources(b: CamerasBench): string {
  const rows = b.runs.map((r, i) => {
    const s = b.summaries[i]!;
    const m = r.memory;
    return [
      cams(r.cameras), pct(r.cpu.treePctOfCore), pct(r.cpu.treePctOfMachine), pct(r.cpu.nodePctOfCore), pct(r.cpu.mainThreadPctOfCore), pct(r.cpu.busiestThreadPctOfCore),
      pct(r.cpu.childrenPctOfCore), f(s.cpuMsPerFrame, 0),
      f(m.nodePeakMiB, 0), f(m.nodeEndMiB, 0), f(m.ffmpegPeakMiB, 0), f(m.ffmpegEndMiB, 0), String(m.ffmpegCount),
      pct(r.cpu.harnessPctOfCore), pct(r.cpu.othersPctOfMachine), exitText(r),
    ];
  });
  const head = ['2. resources', 'CPU/core', 'CPU/machine', 'node', 'main thr', 'top thr', 'ffmpeg', 'ms/frame', 'node RSS peak', 'end', 'ffmpeg RSS peak', 'end', 'ffmpegs', 'harness', 'others', 'exit'];
  const notes = [
    `CPU = node + its ffmpeg children (utime+stime deltas of the tree in /proc over the window), % of one core and of all ${b.env.cpus} cores; the rest as % of one core;`,
    'main thr = node\'s main thread (frames, motion, tracking, MQTT); top thr = its busiest other thread (the detector worker when detection dominates; near 100% is a single-thread ceiling);',
    'ms/frame = CPU time of the tree per analysed frame; RSS in MiB: node peak = VmHWM (worker thread and wasm heap included), ffmpeg = sum over the children (peak sampled each second);',
    "harness = this bench, the RTSP servers and the broker, % of one core; others = other processes and steal, % of all cores (above ~10% the figures are skewed);",
    'exit = how the daemon ended after SIGTERM, with its stop time',
  ];
  return `${table(head, rows)}\n${notes.join('\n')}`;
}

function exitText(r: ConfigRun): string {
  const e = r.exit;
  const how = e.killed ? 'SIGKILLed' : e.signal ?? `code ${e.code}`;
  return `${how} ${f(e.stopS)} s${e.leftovers.length > 0 ? `, ${e.leftovers.length} orphans` : ''}`;
}

function perCamera(b: CamerasBench): string {
  const rows = b.summaries.flatMap((s) =>
    s.perCamera.map((c) => [`${cams(s.cameras)} / ${c.name}`, f(c.analysedPerS, 2), f(c.inPerS, 2), f(c.droppedPerS, 2), f(c.shedPerS, 2), String(c.events), String(c.eventsSinceStart)]),
  );
  return table(['3. per camera', 'analysed/s', 'in/s', 'dropped/s', 'shed/s', 'events', 'since start'], rows);
}

function summary(b: CamerasBench): string {
  const lines = b.summaries.map((s, i) => configLine(b, s, i));
  lines.push(...b.scaling.map(scalingLine(b)), bottleneckLine(b), rtspLine(b), exitLine(b), ...logLines(b), contentionLine(b));
  return `summary\n${lines.filter((l) => l.length > 0).map((l) => `  ${l}`).join('\n')}`;
}

function configLine(b: CamerasBench, s: ConfigSummary, i: number): string {
  const r = b.runs[i]!;
  const m = r.memory;
  const ffmpeg = m.ffmpegPssEndMiB === null ? '' : ` (PSS ${f(m.ffmpegPssEndMiB, 0)} MiB: shared libraries counted once)`;
  return `${cams(s.cameras)}: ${f(s.total.analysedPerS, 2)} analysed/s = ${pct(s.keptUpShare * 100)} of the ${f(s.offeredPerS, 0)}/s offered, dropped ${f(s.total.droppedPerS, 2)}/s, shed ${f(s.total.shedPerS, 2)}/s, ${s.total.events} event${s.total.events === 1 ? '' : 's'}; CPU ${pct(r.cpu.treePctOfCore)} of one core = ${pct(r.cpu.treePctOfMachine)} of the machine (node ${pct(r.cpu.nodePctOfCore)}: main thread ${pct(r.cpu.mainThreadPctOfCore)}, busiest other ${pct(r.cpu.busiestThreadPctOfCore)}; ffmpeg ${pct(r.cpu.childrenPctOfCore)}), ${f(s.cpuMsPerFrame, 0)} ms per frame; RSS node ${f(m.nodePeakMiB, 0)} MiB peak, ffmpeg ${f(m.ffmpegPeakMiB, 0)} MiB peak${ffmpeg}`;
}

function scalingLine(b: CamerasBench): (x: Scaling) => string {
  return (x) => {
    const s = b.summaries.find((v) => v.cameras === x.cameras)!;
    const base = b.summaries.find((v) => v.cameras === x.base)!;
    return `${cams(x.cameras)}: ${f(x.analysedX, 2)}x the analysed fps of ${x.base} (${f(s.total.analysedPerS, 2)} vs ${f(base.total.analysedPerS, 2)}/s; ${f(x.cameras / x.base, 0)}x would be linear), CPU ${f(x.cpuX, 2)}x, CPU per frame ${f(x.cpuPerFrameX, 2)}x; RSS peak node ${f(x.nodeRssPeakX, 2)}x, ffmpeg ${f(x.ffmpegRssPeakX, 2)}x`;
  };
}

/** How hot node's busiest non-main thread ran, and where frames were lost. */
function bottleneckLine(b: CamerasBench): string {
  if (b.runs.length === 0) return '';
  const each = b.runs.map((r) => `${cams(r.cameras)} ${pct(r.cpu.busiestThreadPctOfCore)}`).join(', ');
  const lossy = b.summaries.filter((s) => s.keptUpShare < KEPT_UP_SHARE).map((s) => cams(s.cameras));
  const loss = lossy.length > 0
    ? `; frames were dropped at the source in ${lossy.join(', ')}: each camera's pipeline awaits its detector request, so a busy detector shows as drops, not sheds`
    : '';
  return `node's busiest thread besides the main one (the detector worker) ran at ${each} of one core${loss}`;
}

/** The test RTSP servers that had to be power-cycled (cameras-rtsp.ts says why). */
function rtspLine(b: CamerasBench): string {
  const hit = b.runs.filter((r) => r.rtspRestarts.length > 0);
  if (hit.length === 0) return 'RTSP: every camera delivered frames within the warm-up, no test server restarted';
  const each = hit.map((r) => `${cams(r.cameras)}: ${r.rtspRestarts.join(', ')}`).join('; ');
  return `RTSP: test servers that sent no frames after the warm-up were restarted and the daemon reconnected by itself (${each}); the window started after that`;
}

function exitLine(b: CamerasBench): string {
  const bad = b.runs.filter((r) => r.exit.code !== 0 || r.exit.killed || r.exit.leftovers.length > 0);
  const times = b.runs.map((r) => f(r.exit.stopS)).join(', ');
  if (bad.length === 0) return `SIGTERM: the daemon exited 0 in every configuration (after ${times} s), no ffmpeg left behind`;
  return `SIGTERM: FAILED in ${bad.map((r) => `${cams(r.cameras)} (${exitText(r)})`).join(', ')}`;
}

function logLines(b: CamerasBench): string[] {
  return b.runs.flatMap((r) =>
    r.log.warnings + r.log.errors === 0 ? [] : [`${cams(r.cameras)}: daemon logged ${r.log.warnings} warnings, ${r.log.errors} errors; last: ${r.log.problems.join(' | ')}`],
  );
}

function contentionLine(b: CamerasBench): string {
  const worst = Math.max(0, ...b.runs.map((r) => r.cpu.othersPctOfMachine));
  const each = b.runs.map((r) => `${cams(r.cameras)} ${pct(r.cpu.othersPctOfMachine)}`).join(', ');
  const verdict = worst >= CONTENTION_WARN_PCT ? `WARNING: others took up to ${pct(worst)} of the CPUs during a window, so throughput and CPU figures are skewed: rerun on a quiet machine` : 'the machine was otherwise quiet';
  return `other processes and steal took ${each} of all cores during the windows; ${verdict}`;
}
