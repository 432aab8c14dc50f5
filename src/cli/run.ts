/**
 * `edge-agent run`: starts the daemon, tells systemd when it is ready, pings
 * the watchdog while the cameras keep being processed, and on SIGTERM/SIGINT
 * stops within a deadline (flush events, stop ffmpeg, disconnect MQTT).
 */
import { loadConfigFile } from '../config/load.js';
import { createLogger } from '../core/log.js';
import { Daemon } from '../app/daemon.js';
import { SystemdNotifier } from '../daemon/systemd.js';
import { startDemo, type Demo } from '../demo/demo.js';

export interface RunFlags {
  config?: string;
  verbose?: boolean;
}

/** The agent's own stop deadline; the unit's TimeoutStopSec is above it. */
const STOP_DEADLINE_MS = 20_000;

export async function run(root: string, flags: RunFlags): Promise<void> {
  const logger = createLogger(flags.verbose ? 'debug' : process.env.LOG_LEVEL ?? 'info');
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  let demo: Demo | null = null;
  let config = flags.config ? loadConfigFile(flags.config, process.env) : null;
  if (!config) {
    demo = await startDemo(root, say);
    config = demo.config;
  }
  const daemon = new Daemon({ config, root, logger, ...(demo ? { onEvent: (e) => say(`EVENT stored: ${e.label} (${e.objectLabel} ${e.score.toFixed(2)}) on ${e.camera}, id ${e.id}`) } : {}) });
  const notifier = new SystemdNotifier(logger);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    notifier.stopping();
    const hard = setTimeout(() => {
      logger.error({ deadlineMs: STOP_DEADLINE_MS + 5000 }, 'stop deadline passed; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS + 5000);
    hard.unref();
    await daemon.stop(STOP_DEADLINE_MS);
    await demo?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  await daemon.start();
  const cams = config.cameras.map((c) => c.name).join(', ');
  notifier.ready(`running ${config.cameras.length} camera(s): ${cams}`);
  notifier.startWatchdog(() => daemon.healthy());
  logger.info({ cameras: cams, mqtt: config.mqtt.url ? 'configured' : 'local only' }, 'running');
  if (demo) say('demo: running; Ctrl-C stops it');
}
