/**
 * TFJS CenterNet -> ONNX fp32 model folder, then TFJS-vs-ORT verification.
 *   node dist/scripts/convert-model.js [--input models/centernet-coco] [--out models/centernet-coco-onnx] [--size 512]
 */
import { Command, InvalidArgumentError } from 'commander';
import { convertModel, DEFAULT_OPSET } from '../src/convert/convert-model.js';
import { NETWORK_STRIDE } from '../src/convert/size-consts.js';
import { formatVerifyReport } from '../src/convert/verify.js';

interface Flags {
  input: string;
  out: string;
  size: number;
  opset: number;
  verify: boolean;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function sizeArg(v: string): number {
  const n = positiveInt(v);
  if (n % NETWORK_STRIDE !== 0) throw new InvalidArgumentError(`must be a multiple of ${NETWORK_STRIDE} (e.g. 320, 416, 512)`);
  return n;
}

const program = new Command('convert-model')
  .description('convert the TFJS CenterNet model to ONNX (NCHW, fp32) and verify it against TFJS on real frames')
  .option('--input <dir>', 'source model folder (TFJS graph + manifest)', 'models/centernet-coco')
  .option('--out <dir>', 'output model folder', 'models/centernet-coco-onnx')
  .option('--size <px>', 'square input size, a multiple of 32', sizeArg, 512)
  .option('--opset <n>', 'ONNX opset', positiveInt, DEFAULT_OPSET)
  .option('--no-verify', 'skip the TFJS vs ORT comparison')
  .action(async (flags: Flags) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const result = await convertModel({ ...flags, log });
    if (result.verify) process.stdout.write(`${formatVerifyReport(result.verify, flags.size).join('\n')}\n`);
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
