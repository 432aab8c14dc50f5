#!/usr/bin/env node
/**
 * `edge-agent` command line. Operational errors print one line
 * (`error CODE: what (what to do)`) and exit 1; `--verbose` adds the stack.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { analyze } from '../app/analyze.js';
import { doctor } from '../app/doctor.js';
import { defaultConfig, loadConfigFile } from '../config/load.js';
import { AgentError, isAgentError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { AgentEvent } from '../events/event.js';
import { formatEventLine, formatReport, toJsonLine } from './format.js';
import { run, type RunFlags } from './run.js';

const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** The demo input when none is given: real walkway footage fetched by scripts/fetch-footage.sh. */
const DEMO_INPUT = join(ROOT, '.cache/footage/vtest.avi');

interface AnalyzeFlags {
  config?: string;
  camera?: string;
  json?: boolean;
  explain?: boolean;
  verbose?: boolean;
  gating?: boolean;
}

async function runAnalyze(input: string | undefined, flags: AnalyzeFlags): Promise<void> {
  const config = flags.config ? loadConfigFile(flags.config, process.env) : defaultConfig(process.env);
  const camera = flags.camera ? config.cameras.find((c) => c.name === flags.camera) : config.cameras[0];
  const source = input ?? camera?.input ?? demoInput();
  const logger = createLogger(flags.verbose ? 'debug' : process.env.LOG_LEVEL ?? 'warn');
  const print = (e: AgentEvent, snapshot: string | null): void => {
    process.stdout.write(flags.json ? toJsonLine(e, snapshot) : formatEventLine(e, snapshot));
  };
  const summary = await analyze({
    input: source,
    config,
    root: ROOT,
    logger,
    onEvent: print,
    ...(flags.camera ? { cameraName: flags.camera } : {}),
    ...(flags.explain ? { onReport: (r) => process.stderr.write(formatReport(r)) } : {}),
    progress: (line) => process.stderr.write(`${line}\n`),
    motionGating: flags.gating !== false,
  });
  process.stderr.write(
    `analyzed ${summary.frames} frames in ${summary.seconds.toFixed(1)} s (${(summary.frames / summary.seconds).toFixed(1)} fps, ${summary.runtime}): ${summary.tracks} tracks, ${summary.events} events\n`,
  );
}

function demoInput(): string {
  if (existsSync(DEMO_INPUT)) {
    process.stderr.write(`no input given: running the demo on ${DEMO_INPUT}\n`);
    return DEMO_INPUT;
  }
  throw new AgentError('INPUT_NOT_FOUND', 'no input given and the demo footage is not there', {
    hint: 'give a file or rtsp:// URL, or run bash scripts/fetch-footage.sh for the demo',
  });
}

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return resolve(from, '../../..');
    dir = up;
  }
  return dir;
}

function main(argv: string[]): void {
  const program = new Command('edge-agent').description('Edge video analytics: confirmed person and vehicle events only').showHelpAfterError();
  program
    .command('analyze')
    .description('run the detection pipeline on a file or stream and print confirmed events')
    .argument('[input]', 'video file or rtsp:// URL (default: the camera input from the config, else the demo footage)')
    .option('-c, --config <file>', 'YAML config file (default: built-in defaults)')
    .option('--camera <name>', 'which camera of the config to take settings from (default: the first)')
    .option('--json', 'one JSON object per confirmed event on stdout')
    .option('--explain', 'print, per track, the rule that confirmed or rejected it and the values it saw (stderr)')
    .option('--no-gating', 'detect on the whole frame every frame instead of where motion is (for comparison)')
    .option('-v, --verbose', 'debug logs, and stack traces on errors')
    .action(async (input: string | undefined, flags: AnalyzeFlags) => {
      try {
        await runAnalyze(input, flags);
      } catch (e) {
        fail(e, flags.verbose === true);
      }
    });
  program
    .command('run')
    .description('run the gateway daemon: cameras over RTSP, confirmed events to MQTT (no --config: a local demo)')
    .option('-c, --config <file>', 'YAML config file (default: the demo on packaged footage with an embedded broker)')
    .option('-v, --verbose', 'debug logs, and stack traces on errors')
    .action(async (flags: RunFlags) => {
      try {
        await run(ROOT, flags);
      } catch (e) {
        fail(e, flags.verbose === true);
      }
    });
  program
    .command('doctor')
    .description('check ffmpeg, the model, storage, every camera and the broker; changes nothing')
    .option('-c, --config <file>', 'YAML config file (default: built-in defaults)')
    .action(async (flags: { config?: string }) => {
      try {
        const config = flags.config ? loadConfigFile(flags.config, process.env) : defaultConfig(process.env);
        const results = await doctor(config, ROOT);
        for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}\n`);
        process.exitCode = results.every((r) => r.ok) ? 0 : 1;
      } catch (e) {
        fail(e, false);
      }
    });
  program.parseAsync(argv).catch((e: unknown) => fail(e, argv.includes('--verbose') || argv.includes('-v')));
}

function fail(e: unknown, verbose: boolean): never {
  if (isAgentError(e)) {
    process.stderr.write(`${e.oneLine()}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  }
  // Not an operational error: a bug. Crash loudly with the stack.
  process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(70);
}

main(process.argv);
