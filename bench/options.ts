/** Command line of the bench and where the project root is. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Project root (the folder with package.json). */
  readonly root: string;
  /** Reference clip for every phase. Default: the walkway footage. */
  readonly clip: string;
  /** Only the first this many seconds of each clip are used. Default 20 s. */
  readonly seconds: number;
  /** Timed detector calls per runtime. Default 30. */
  readonly inferences: number;
  /** Print one JSON object on stdout instead of the table. */
  readonly json: boolean;
}

export const USAGE = 'usage: node dist/bench/pipeline.js [--clip PATH] [--seconds N (default 20)] [--inferences N (default 30)] [--json]';

/** Walks up from `fromUrl` to the first folder holding package.json. */
export function findRoot(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(fromUrl)}`);
    dir = up;
  }
  return dir;
}

export function parseOptions(argv: readonly string[], root: string): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      clip: { type: 'string' },
      seconds: { type: 'string', default: '20' },
      inferences: { type: 'string', default: '30' },
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
    clip: values.clip ? resolve(values.clip) : join(root, '.cache/footage/vtest.avi'),
    seconds: positive('--seconds', values.seconds),
    inferences: Math.round(positive('--inferences', values.inferences)),
    json: values.json,
  };
}

function positive(flag: string, text: string): number {
  const v = Number(text);
  if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${flag} must be a number > 0, got "${text}"`);
  return v;
}
