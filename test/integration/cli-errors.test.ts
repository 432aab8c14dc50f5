/**
 * What an installer sees when something is wrong: the real CLI, spawned as a
 * process, prints one `error CODE: ...` line on stderr and exits 1, with no
 * stack trace unless --verbose. Inputs, configs and damaged model copies are
 * made in a temp dir; storage paths point there so nothing is written into
 * the project.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../../src/core/errors.js';

/** Nearest folder up with package.json and tsconfig.json (tsc may copy a package.json into dist/, never tsconfig). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root above ${from}`);
  }
}

const ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MODEL = join(ROOT, 'models', 'centernet-coco');
/** Each CLI run is killed after this long; the failures under test come within a second or two. */
const RUN_TIMEOUT_MS = 60_000;
const STACK_FRAME = /^ {4}at /m;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'analyze', ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`edge-agent analyze ${args.join(' ')} did not exit within ${RUN_TIMEOUT_MS} ms; stderr: ${stderr}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Exit 1, exactly one stderr line `error CODE: ...`, no stack; returns that line. */
function assertOneLineError(run: Run, code: ErrorCode): string {
  const lines = run.stderr.split('\n').filter((l) => l.trim().length > 0);
  assert.equal(run.code, 1, `exit code (signal ${run.signal}); stderr:\n${run.stderr}`);
  assert.equal(lines.length, 1, `stderr must be one line, got:\n${run.stderr}`);
  const line = lines[0]!;
  assert.ok(line.startsWith(`error ${code}: `), `expected "error ${code}: ...", got: ${line}`);
  assert.doesNotMatch(run.stderr, STACK_FRAME, 'no stack trace without --verbose');
  assert.equal(run.stdout, '', 'no events on stdout');
  return line;
}

describe('edge-agent analyze: operational errors', () => {
  let dir: string;
  let clip: string;
  /** A valid config with storage in the temp dir, for cases where the config is not what is under test. */
  let okConfig: string;
  let corruptModelConfig: string;
  let corruptBin: string;

  async function configFile(name: string, yaml: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `${yaml}storage:\n  db: ${join(dir, 'events.db')}\n  snapshots: ${join(dir, 'snapshots')}\n`);
    return path;
  }

  async function modelCopy(name: string): Promise<string> {
    const path = join(dir, name);
    await cp(MODEL, path, { recursive: true });
    return path;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-errors-'));
    clip = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=5', '-t', '1', '-pix_fmt', 'yuv420p', clip], {
      timeout: RUN_TIMEOUT_MS,
    });
    okConfig = await configFile('ok.yaml', '');
    const corrupt = await modelCopy('model-corrupt');
    corruptBin = join(corrupt, 'centernet.bin');
    const bytes = await readFile(corruptBin);
    bytes[1000] = bytes[1000]! ^ 0xff;
    await writeFile(corruptBin, bytes);
    corruptModelConfig = await configFile('corrupt-model.yaml', `detector:\n  model: ${corrupt}\n`);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing input file: INPUT_NOT_FOUND naming it', async () => {
    const missing = join(dir, 'no-such-clip.mp4');
    const line = assertOneLineError(await runCli([missing, '--config', okConfig]), 'INPUT_NOT_FOUND');
    assert.ok(line.includes(missing), line);
  });

  it('a text file named clip.mp4: INPUT_NOT_VIDEO naming it', async () => {
    await mkdir(join(dir, 'text'));
    const fake = join(dir, 'text', 'clip.mp4');
    await writeFile(fake, 'not a video, just text that happens to be called clip.mp4\n');
    const line = assertOneLineError(await runCli([fake, '--config', okConfig]), 'INPUT_NOT_VIDEO');
    assert.ok(line.includes(fake), line);
  });

  it('a config with an unknown key: CONFIG_INVALID naming the file and the key', async () => {
    const bad = await configFile('typo.yaml', 'confirm:\n  medianScor: 0.5\n');
    const line = assertOneLineError(await runCli([clip, '--config', bad]), 'CONFIG_INVALID');
    assert.ok(line.includes(bad), line);
    assert.match(line, /confirm.*medianScor/);
  });

  it('a missing config file: CONFIG_NOT_FOUND naming it', async () => {
    const missing = join(dir, 'no-such-config.yaml');
    const line = assertOneLineError(await runCli([clip, '--config', missing]), 'CONFIG_NOT_FOUND');
    assert.ok(line.includes(missing), line);
  });

  it('a model with a corrupted weights file: MODEL_CHECKSUM_MISMATCH naming the file', async () => {
    const line = assertOneLineError(await runCli([clip, '--config', corruptModelConfig]), 'MODEL_CHECKSUM_MISMATCH');
    assert.ok(line.includes(corruptBin), line);
  });

  it('a model whose manifest.json is not JSON: MODEL_MANIFEST_INVALID naming it', async () => {
    const model = await modelCopy('model-bad-manifest');
    await writeFile(join(model, 'manifest.json'), '{ "schema": 1, ');
    const config = await configFile('bad-manifest.yaml', `detector:\n  model: ${model}\n`);
    const line = assertOneLineError(await runCli([clip, '--config', config]), 'MODEL_MANIFEST_INVALID');
    assert.ok(line.includes(join(model, 'manifest.json')), line);
  });

  it('a model error keeps its hint across the detector worker (what to do, in brackets)', async () => {
    // loadManifest gives MODEL_CHECKSUM_MISMATCH the hint "... reinstall the model"; the CLI line must show it.
    const line = assertOneLineError(await runCli([clip, '--config', corruptModelConfig]), 'MODEL_CHECKSUM_MISMATCH');
    assert.match(line, /\(.*reinstall the model.*\)$/);
  });

  it('with --verbose the same model error also prints a stack trace', async () => {
    const run = await runCli([clip, '--config', corruptModelConfig, '--verbose']);
    assert.equal(run.code, 1, run.stderr);
    const first = run.stderr.split('\n').find((l) => l.startsWith('error '));
    assert.ok(first?.startsWith('error MODEL_CHECKSUM_MISMATCH: '), run.stderr);
    assert.match(run.stderr, STACK_FRAME);
  });
});
