/**
 * sd_notify without a native addon: Node cannot send on a unix datagram
 * socket, so readiness, watchdog pings and status go through the
 * `systemd-notify` binary (the unit sets NotifyAccess=all, since the message
 * comes from a child process). Outside systemd (no NOTIFY_SOCKET) every call
 * is a no-op. Failures are logged once, never fatal: the watchdog then
 * restarts us, which is the right outcome for a broken notify path.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../core/log.js';

export class SystemdNotifier {
  private timer: NodeJS.Timeout | undefined;
  private warned = false;
  private readonly enabled: boolean;

  constructor(
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.enabled = Boolean(env.NOTIFY_SOCKET);
  }

  /** Half the unit's WatchdogSec, ms, or undefined when no watchdog is set. */
  watchdogIntervalMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    return Number.isFinite(usec) && usec > 0 ? Math.max(1000, usec / 2000) : undefined;
  }

  ready(status: string): void {
    this.send(['--ready', `--status=${status}`]);
  }

  status(status: string): void {
    this.send([`--status=${status}`]);
  }

  stopping(): void {
    this.send(['--stopping']);
    this.stopWatchdog();
  }

  /**
   * Pings the watchdog while `healthy()` says the main loop is alive, so a hung
   * loop (no frames processed, event loop blocked) stops the pings and systemd
   * restarts the agent.
   */
  startWatchdog(healthy: () => boolean): void {
    const every = this.watchdogIntervalMs();
    if (!this.enabled || every === undefined) return;
    this.timer = setInterval(() => {
      if (healthy()) this.send(['WATCHDOG=1']);
    }, every);
    this.timer.unref();
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private send(args: string[]): void {
    if (!this.enabled) return;
    execFile('systemd-notify', args, { timeout: 5000 }, (err) => {
      if (err && !this.warned) {
        this.warned = true;
        this.logger.warn({ err: err.message }, 'systemd-notify failed; is NotifyAccess=all set in the unit?');
      }
    });
  }
}
