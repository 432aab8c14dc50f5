/** The plain-text report: one aligned table per phase, then the ratios in words. */
import type { PipelineRun } from './analyze-run.js';
import type { DetectorResult } from './detector.js';
import type { BenchResult, PipelineRatio, Ratios } from './result.js';

/** First column left-aligned, the others right-aligned, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return all.map(line).join('\n');
}

const f = (v: number, digits = 1): string => v.toFixed(digits);
const opt = (v: number | null, digits = 1, suffix = ''): string => (v === null ? 'n/a' : `${v.toFixed(digits)}${suffix}`);

export function renderText(r: BenchResult, ratios: Ratios, calls: number): string {
  return [header(r), decodeSection(r, ratios), detectorSection(r.detector, calls), pipelineSection(r.pipeline, r.clip.fps), memorySection(r), summary(r, ratios)].join('\n\n') + '\n';
}

function header(r: BenchResult): string {
  const c = r.clip;
  const src = `${c.source}, ${c.codec} ${c.sourceWidth}x${c.sourceHeight}${c.sourceFps ? ` @ ${c.sourceFps} fps` : ''}, ${f(c.durationS)} s used`;
  return [
    `edge-agent bench  ${r.env.date}  node ${r.env.node} ${r.env.platform}, ${r.env.cpus} x ${r.env.cpuModel}`,
    `clip: ${c.label} (${src}) -> detect ${c.width}x${c.height} @ ${c.fps} fps`,
  ].join('\n');
}

function decodeSection(r: BenchResult, ratios: Ratios): string {
  const { ffmpegOnly: a, frameSource: b } = r.decode;
  const rows = [
    ['ffmpeg only (pipe to byte counter)', String(a.frames), f(a.seconds, 2), f(a.fps), `${f(ratios.ffmpegOnlyRealtime)}x`, '1.00x'],
    ['frame source into node', String(b.frames), f(b.seconds, 2), f(b.fps), `${f(ratios.frameSourceRealtime)}x`, `${f(ratios.frameSourceOverFfmpeg, 2)}x`],
  ];
  const title = `1. decode to rgb24 ${r.clip.width}x${r.clip.height} @ ${r.clip.fps} fps, the pipeline's ffmpeg arguments, output discarded`;
  return `${title}\n${formatTable(['stage', 'frames', 'seconds', 'fps', 'x realtime', 'vs ffmpeg only'], rows)}`;
}

function detectorSection(results: readonly DetectorResult[], calls: number): string {
  const title = `2. detector: detect(frame, [[0,0,512,512]]) on real frames, ${calls} timed calls per runtime after 2 untimed`;
  const header = ['runtime', 'model', 'start s', 'rtt median ms', 'rtt p90 ms', 'busy median ms', 'busy p90 ms', 'overhead ms', 'calls/s', 'worker RSS MiB'];
  const rows = results.flatMap((d) =>
    d.available
      ? [[d.runtime, d.model, f(d.startS, 2), f(d.roundTripMs.median), f(d.roundTripMs.p90), f(d.busyMs.median), f(d.busyMs.p90), f(d.roundTripMs.median - d.busyMs.median), f(1000 / d.roundTripMs.median, 2), `+${f(d.workerStartRssMiB, 0)}`]]
      : [],
  );
  const missing = results.flatMap((d) => (d.available ? [] : [`${d.runtime}: not available: ${d.reason}`]));
  const notes = 'rtt = detect() round trip on the main thread; busy = the worker\'s own time (detector.stats()); overhead = rtt - busy (frame copy, messages);\nworker RSS = process RSS after WorkerDetector.start() minus before (worker isolate, the runtime and its heap, the model)';
  return [title, rows.length > 0 ? formatTable(header, rows) : '(no runtime ran)', ...missing, notes].join('\n');
}

function pipelineSection(runs: readonly PipelineRun[], fps: number): string {
  const runtime = runs[0]?.runtime ?? 'n/a';
  const title = `3. pipeline: analyze() with the default config (detector.runtime auto -> ${runtime}), events to a temp store`;
  const header = ['clip', 'size', 'gating', 'frames', 'seconds', 'fps', 'x realtime', 'start s', 'steady fps', 'inferences', 'det. load', 'tracks', 'events'];
  const rows = runs.map((p) => [
    p.clip, `${p.width}x${p.height}`, p.motionGating ? 'gated' : 'ungated', String(p.frames), f(p.seconds), f(p.fps, 2), `${f(p.fps / fps, 2)}x`,
    opt(p.startS, 2), opt(p.steadyFps, 2), opt(p.inferences, 0), opt(p.detectorLoadPct, 0, '%'), String(p.tracks), String(p.events),
  ]);
  const notes = 'fps = frames / analyze()\'s seconds (detector start included); start s = until its "detector ready" log line; steady fps = frames / time after it;\ninferences = 512x512 detector passes (regions); det. load = detector busy share of wall time after start';
  return `${title}\n${formatTable(header, rows)}\n${notes}`;
}

function memorySection(r: BenchResult): string {
  const rows = r.memory.map((m) => [m.phase, f(m.rssMiB, 0), f(m.peakRssMiB, 0), m.phase === 'start' ? '' : opt(m.othersCpuPct, 0, '%')]);
  const title = '4. memory after each phase (one process: the detector worker thread and its wasm heap are in it; ffmpeg is a child, not counted)';
  const note = "others' CPU = share of all cores taken by other processes and hypervisor steal during the phase (/proc/stat minus this process and its ffmpeg children);\nabove ~10% the phase's timings are skewed: rerun on a quiet machine";
  return `${title}\n${formatTable(['after phase', 'RSS MiB', 'peak RSS MiB', "others' CPU"], rows)}\n${note}`;
}

function summary(r: BenchResult, ratios: Ratios): string {
  const { ffmpegOnly: a, frameSource: b } = r.decode;
  const fps = r.clip.fps;
  const lines = [
    `decode: ffmpeg only ${f(a.fps)} fps = ${f(ratios.ffmpegOnlyRealtime)}x realtime at ${fps} fps; frame source into node ${f(b.fps)} fps = ${f(ratios.frameSourceRealtime)}x, ${f(ratios.frameSourceOverFfmpeg, 2)}x of ffmpeg only`,
    ...r.detector.map((d) =>
      d.available
        ? `detector ${d.runtime}: ${f(d.roundTripMs.median)} ms median per 512x512 region (p90 ${f(d.roundTripMs.p90)}) = ${f(1000 / d.roundTripMs.median, 2)} calls/s; worker busy ${f(d.busyMs.median)} ms, messaging ${f(d.roundTripMs.median - d.busyMs.median)} ms; worker +${f(d.workerStartRssMiB, 0)} MiB RSS`
        : `detector ${d.runtime}: not available (${d.reason})`,
    ),
    ...ratios.pipeline.map((p) => pipelineLine(p, fps)),
    `peak RSS ${f(Math.max(...r.memory.map((m) => m.peakRssMiB)), 0)} MiB${contention(r)}`,
  ];
  return `summary\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

function pipelineLine(p: PipelineRatio, fps: number): string {
  const steady = p.steadyGatedOverUngated === null ? '' : `; after model load ${f(p.steadyGatedOverUngated, 2)}x`;
  const regions = p.inferencesGatedOverUngated === null ? '' : `; detector passes ${f(p.inferencesGatedOverUngated, 2)}x the ungated`;
  return `pipeline ${p.clip}: gated ${f(p.gatedFps, 2)} fps = ${f(p.gatedRealtime, 2)}x realtime at ${fps} fps; ${f(p.gatedOverUngated, 2)}x the ungated (${f(p.ungatedFps, 2)} fps = ${f(p.ungatedRealtime, 2)}x)${steady}${regions}`;
}

/** A warning when other processes took a noticeable share of the machine during any phase. */
function contention(r: BenchResult): string {
  const worst = Math.max(0, ...r.memory.map((m) => m.othersCpuPct ?? 0));
  return worst >= 10 ? `; WARNING: other processes / steal took up to ${f(worst, 0)}% of the CPUs during a phase (table 4), its timings are skewed` : '';
}
