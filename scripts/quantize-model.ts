/**
 * fp32 ONNX CenterNet -> static int8 (QDQ) model folder, then int8 vs fp32
 * agreement, ORT kernel profile and timing.
 *   node dist/scripts/quantize-model.js [--input models/centernet-coco-onnx] [--out models/centernet-coco-int8] [--frames 120]
 *     [--no-gptq] [--no-bias-correction] [--float-stride 2]
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatEvalReport } from '../src/convert/evaluate.js';
import { buildInputs, toNchw } from '../src/convert/frames.js';
import { EVAL_SET } from '../src/convert/frame-sets.js';
import { formatTimings, timeOnnxModels, timeTfjs, type Timing } from '../src/convert/bench.js';
import { formatProfile, profileModel } from '../src/convert/profile.js';
import type { CalibrationMethod } from '../src/convert/quantize-calibrate.js';
import { INT8_FILE, quantizeModelFolder, type QuantizeModelResult } from '../src/convert/quantize-model.js';
import { FLOAT_STRIDE } from '../src/convert/quantize.js';
import type { ActivationType } from '../src/convert/quantize-params.js';

interface Flags {
  input: string;
  out: string;
  frames: number;
  calibration: 'percentile' | 'minmax' | 'mse';
  percentile: number;
  activations: ActivationType;
  threads: number;
  gptq: boolean;
  biasCorrection: boolean;
  floatStride: number;
  bench: boolean;
  tfjs: string;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Timed inferences per model and thread count (after warm-up). */
const BENCH_RUNS = 40;
const PROFILE_RUNS = 10;

async function report(r: QuantizeModelResult, flags: Flags, out: (s: string) => void): Promise<void> {
  out(formatEvalReport(r.evaluation, 'int8 vs fp32 (ORT)').join('\n'));
  if (!flags.bench) return;
  const inputs = (await buildInputs(EVAL_SET, r.size)).slice(0, 8);
  const profile = await profileModel(join(flags.out, INT8_FILE), toNchw(inputs[0]!.rgb, r.size), r.size, 1, PROFILE_RUNS, join(tmpdir(), 'edge-agent-int8-profile'));
  out(['int8 kernels (ORT profile, 1 thread):', ...formatProfile(profile)].join('\n'));
  const rows: Timing[] = [];
  const models = [{ label: 'ort fp32', model: r.fp32 }, { label: 'ort int8', model: r.quantized.bytes }];
  for (const threads of [1, 2]) rows.push(...(await timeOnnxModels(models, inputs, threads, BENCH_RUNS)));
  if (flags.tfjs) rows.push(await timeTfjs(flags.tfjs, r.size, inputs, Math.ceil(BENCH_RUNS / 2)));
  out(formatTimings(rows, r.size).join('\n'));
}

const program = new Command('quantize-model')
  .description('static int8 (QDQ) quantization of the converted CenterNet, calibrated on real footage')
  .option('--input <dir>', 'fp32 ONNX model folder', 'models/centernet-coco-onnx')
  .option('--out <dir>', 'output model folder', 'models/centernet-coco-int8')
  .option('--frames <n>', 'calibration inputs (whole frames and crops)', (v) => Math.round(positiveNumber(v)), 120)
  .addOption(new Option('--calibration <method>', 'activation range method').choices(['percentile', 'minmax', 'mse']).default('percentile'))
  .option('--percentile <p>', 'kept share of values at each end, %', positiveNumber, 99.99)
  .addOption(new Option('--activations <type>', 'activation type: uint8 fuses every conv on x86 ORT; int8 for ARM experiments').choices(['uint8', 'int8']).default('uint8'))
  .option('--threads <n>', 'ORT threads for calibration and evaluation', (v) => Math.round(positiveNumber(v)), 2)
  .option('--no-gptq', 'round weights to nearest instead of GPTQ')
  .option('--no-bias-correction', 'skip the empirical bias correction')
  .option('--float-stride <n>', 'ops reading maps at this stride or finer stay float (0: none)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected 0 or a positive integer');
    return n;
  }, FLOAT_STRIDE)
  .option('--no-bench', 'skip the kernel profile and the timing table')
  .option('--tfjs <dir>', 'TFJS model folder timed for comparison (empty to skip)', 'models/centernet-coco')
  .action(async (flags: Flags) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const method: CalibrationMethod = flags.calibration === 'percentile' ? { kind: 'percentile', percentile: flags.percentile } : { kind: flags.calibration };
    const result = await quantizeModelFolder({ ...flags, method, log });
    await report(result, flags, (s) => process.stdout.write(`${s}\n`));
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
