/**
 * A camera that loses power: the GStreamer RTSP server is SIGKILLed while the
 * supervisor streams from it, stays down through several backoff steps, and
 * comes back on the same port. The delays come from the log with an injected
 * random (no tight timing); the restart-to-first-frame time is measured and
 * printed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CameraSupervisor } from '../../src/camera/supervisor.js';
import type { SupervisorConfig } from '../../src/config/schema.js';
import type { Logger } from '../../src/video/logger.js';
import { ensureTestClip, processesMentioning, startRtspServer, type RtspServer } from '../support/rtsp-server.js';

// random 0.75 -> each delay is its base * (1 + 0.2 * 0.5) = base * 1.1, capped at 4 s.
const SUPERVISOR: SupervisorConfig = { backoffInitialS: 0.5, backoffMaxS: 4, jitter: 0.2, healthyAfterS: 30 };
const EXPECTED_DELAYS = [0.55, 1.1, 2.2, 4];
const MOUNT = `door-${randomUUID().slice(0, 8)}`;

let server: RtspServer;

before(async () => {
  server = await startRtspServer({ mounts: { [MOUNT]: await ensureTestClip() } });
});

after(async () => {
  await server?.stop();
});

function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const at = (level: string) => (obj: object, msg?: string): void => void lines.push({ level, msg, atMs: Date.now(), ...obj });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('CameraSupervisor when the RTSP server dies and comes back', () => {
  it('backs off with growing delays while it is down and streams again soon after it is restarted on the same port', async () => {
    const url = server.url(MOUNT);
    const log = captureLogger();
    const sup = new CameraSupervisor({
      camera: { name: 'door', input: url, detect: { width: 320, height: 180, fps: 5 }, rtspTransport: 'tcp', stallTimeoutS: 5 },
      supervisor: SUPERVISOR,
      logger: log.logger,
      random: () => 0.75,
    });
    const seen: { index: number; tS: number; atMs: number }[] = [];
    const done = (async () => {
      for await (const f of sup.frames()) seen.push({ index: f.index, tS: f.tS, atMs: Date.now() });
    })();
    const delays = (): unknown[] => log.lines.filter((l) => l.msg === 'camera failed, restarting after backoff').map((l) => l.delayS);
    try {
      await waitFor('10 frames', () => seen.length >= 10, 20_000);
      const port = server.port;
      const killedAtMs = Date.now();
      server.kill();
      const before = seen.length;
      await waitFor('the backoff to reach its cap', () => delays().length >= EXPECTED_DELAYS.length, 20_000);
      const down = sup.status();
      assert.equal(down.state, 'backoff');
      assert.ok(down.reconnects >= 3, `reconnects ${down.reconnects}`);
      assert.ok(down.lastError !== null, 'no lastError while down');
      assert.ok(down.nextRetryInS !== null && down.nextRetryInS <= SUPERVISOR.backoffMaxS, `nextRetryInS ${down.nextRetryInS}`);
      assert.deepEqual(delays(), EXPECTED_DELAYS);

      await server.restart();
      const restartedAtMs = Date.now();
      const retryInS = sup.status().nextRetryInS;
      assert.equal(server.port, port);
      await waitFor('a frame after the restart', () => (seen.at(-1)?.atMs ?? 0) > restartedAtMs, 15_000);
      const resumeMs = (seen.find((f) => f.atMs > restartedAtMs)?.atMs ?? NaN) - restartedAtMs;
      const errors = log.lines.filter((l) => l.level === 'warn' && l.msg === 'camera failed, restarting after backoff').map((l) => `${l.code}: ${l.err}`);
      process.stderr.write(
        `camera-reconnect: down ${restartedAtMs - killedAtMs} ms, delays ${JSON.stringify(delays())} s, ` +
          `restart-to-first-frame ${resumeMs} ms (backoff left at restart ${retryInS} s), errors ${JSON.stringify(errors)}, frames before kill ${before}\n`,
      );
      // The next attempt comes at most backoffMaxS after the restart; opening the stream takes ~1 s on top.
      assert.ok(resumeMs <= (SUPERVISOR.backoffMaxS + 3) * 1000, `first frame ${resumeMs} ms after the restart`);

      await waitFor('5 more frames', () => seen.filter((f) => f.atMs > restartedAtMs).length >= 5, 10_000);
      const up = sup.status();
      assert.equal(up.state, 'streaming');
      assert.ok(up.reconnects >= 4, `reconnects ${up.reconnects}`);
      assert.equal(up.stalls, 0);
      assert.ok(up.framesIn >= seen.length, `framesIn ${up.framesIn} < ${seen.length}`);
      for (let k = 1; k < seen.length; k++) {
        const [a, b] = [seen[k - 1]!, seen[k]!];
        assert.ok(b.index > a.index && b.tS > a.tS, `not monotonic at ${k}: ${JSON.stringify([a, b])}`);
      }
      // tS follows the wall clock across the outage (rebased at the first frame of each run).
      const gap = seen.findIndex((f) => f.atMs > restartedAtMs);
      const [lastBefore, firstAfter] = [seen[gap - 1]!, seen[gap]!];
      const wallS = (firstAfter.atMs - lastBefore.atMs) / 1000;
      assert.ok(Math.abs(firstAfter.tS - lastBefore.tS - wallS) < 1.5, `tS jump ${firstAfter.tS - lastBefore.tS} s vs wall ${wallS} s`);
    } finally {
      await sup.stop();
      await done;
    }
    assert.deepEqual(await processesMentioning(url), []);
  });
});
