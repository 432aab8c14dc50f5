/** The text table of `npm run bench:detector`. */
import type { DetectorsReport } from './detectors-result.js';

const f1 = (v: number) => v.toFixed(1);
const pad = (s: string, n: number) => s.padStart(n);

function speedTable(r: DetectorsReport): string[] {
  const lines = [
    `1. speed: ${r.inputs} inferences per row at ${r.size}x${r.size} on the same inputs (1-min load average ${r.loadAverage.toFixed(2)})`,
    '  runtime      model                         threads  median ms   p90 ms   start s  peak RSS MiB',
  ];
  for (const row of r.rows) {
    const head = `  ${row.label.padEnd(12)} ${row.model.padEnd(29)} ${pad(String(row.threads), 7)}`;
    lines.push(row.result
      ? `${head} ${pad(f1(row.result.medianMs), 10)} ${pad(f1(row.result.p90Ms), 8)} ${pad(row.result.startS.toFixed(2), 9)} ${pad(f1(row.result.peakRssMiB), 13)}`
      : `${head}   ${row.missing}`);
  }
  lines.push('  peak RSS: the whole child process (Node, the runtime, the model), one process per row');
  return lines;
}

function ratioLines(r: DetectorsReport): string[] {
  const verdict = (v: number, target: number) => `${v.toFixed(2)}x (target ${target}x: ${v >= target ? 'met' : `missed by ${(target - v).toFixed(2)}x`})`;
  const lines = ['2. ratios (median ms)'];
  for (const [t, v] of Object.entries(r.ratios.int8VsFp32)) lines.push(`  int8 vs ORT fp32, ${t} thread(s), rows above: ${verdict(v, r.targets.int8VsFp32)}`);
  for (const x of r.interleaved) lines.push(`  int8 vs ORT fp32, ${x.threads} thread(s), interleaved in one process (${f1(x.fp32Ms)} vs ${f1(x.int8Ms)} ms): ${verdict(x.ratio, r.targets.int8VsFp32)}`);
  if (r.ratios.int8VsTfjsWasm !== null) lines.push(`  int8 vs TFJS wasm, 1 thread: ${verdict(r.ratios.int8VsTfjsWasm, r.targets.int8VsTfjsWasm)}`);
  return lines;
}

function accuracyLines(r: DetectorsReport): string[] {
  return [
    `3. accuracy on the same ${r.inputs} inputs (1 thread): detections >= 0.3 matched one-to-one at IoU >= 0.5 with the same label`,
    '  pair                          detections %   (a vs b)   persons %   inputs with persons agreeing %   (up to threshold effects %)',
    ...r.agreement.map((a) => `  ${`${a.a} vs ${a.b}`.padEnd(28)} ${pad(f1(a.detectionsPercent), 12)} ${pad(`${a.detectionsA} vs ${a.detectionsB}`, 11)} ${pad(f1(a.personsPercent), 10)} ${pad(f1(a.personInputsPercent), 31)} ${pad(f1(a.personInputsUpToThresholdPercent), 28)}`),
    '  person recall and precision against ORT fp32 (the converted model, >= 99 % of TFJS)',
    ...r.recall.map((x) => `  ${x.id.padEnd(28)} recall ${pad(f1(x.personRecallPercent), 6)} %   precision ${pad(f1(x.personPrecisionPercent), 6)} %`),
    '  threshold effects: a detection whose partner on the other side is the same box just under 0.3 (within 0.05)',
    ...(r.agreement.some((a) => a.a.includes('jpeg')) ? ['  ort fp32 jpegQ: the noise floor, fp32 against itself after a JPEG round trip at quality Q of each input (invisible to the eye)'] : []),
  ];
}

export function renderDetectors(r: DetectorsReport): string {
  return `${[`bench:detector: ${r.inputs} held-out inputs from ${r.source}`, '', ...speedTable(r), '', ...ratioLines(r), '', ...accuracyLines(r)].join('\n')}\n`;
}
