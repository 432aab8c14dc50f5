/** Command line of the multi-camera bench (`node dist/bench/cameras.js`). */
import { parseArgs } from 'node:util';

export interface CamerasOptions {
  /** Project root (the folder with package.json). */
  readonly root: string;
  /** Camera counts to run, one configuration after another. Default 1, 2, 4. */
  readonly counts: readonly number[];
  /** Measuring window per configuration, s; rounded up to whole stats intervals. Default 45. */
  readonly seconds: number;
  /** Time from the daemon's spawn before the window may start (model load, RTSP connect), s. Default 20. */
  readonly warmupS: number;
  /** Print one JSON object on stdout instead of the tables. */
  readonly json: boolean;
}

export const USAGE =
  'usage: node dist/bench/cameras.js [--seconds N (default 45)] [--warmup N (default 20)] [--cameras 1,2,4] [--json]';

/** Most cameras one run may ask for: each is an ffmpeg decoding 640x360 on a 2-core gateway. */
const MAX_CAMERAS = 16;

export function parseCamerasOptions(argv: readonly string[], root: string): CamerasOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string', default: '45' },
      warmup: { type: 'string', default: '20' },
      cameras: { type: 'string', default: '1,2,4' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    root,
    counts: cameraCounts(values.cameras),
    seconds: positive('--seconds', values.seconds),
    warmupS: positive('--warmup', values.warmup),
    json: values.json,
  };
}

/** "1,2,4" -> [1, 2, 4]: distinct whole numbers in 1..MAX_CAMERAS, kept in the order given. */
function cameraCounts(text: string): number[] {
  const counts = text.split(',').map((s) => Number(s.trim()));
  for (const n of counts) {
    if (!(Number.isInteger(n) && n >= 1 && n <= MAX_CAMERAS)) {
      throw new RangeError(`--cameras wants whole numbers 1..${MAX_CAMERAS} separated by commas, got "${text}"`);
    }
  }
  return [...new Set(counts)];
}

function positive(flag: string, text: string): number {
  const v = Number(text);
  if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${flag} must be a number > 0, got "${text}"`);
  return v;
}
