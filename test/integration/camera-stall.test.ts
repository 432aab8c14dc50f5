/**
 * Cameras that stop talking: a TCP port that accepts and never answers (a
 * camera whose RTSP service hangs), and a GStreamer RTSP server frozen with
 * SIGSTOP mid-stream (connections open, no packets). The supervisor must call
 * both stalls, restart, report INPUT_UNREACHABLE, and never show the password.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CameraSupervisor, type SupervisedCamera } from '../../src/camera/supervisor.js';
import type { SupervisorConfig } from '../../src/config/schema.js';
import type { Logger } from '../../src/video/logger.js';
import { ensureTestClip, processesMentioning, startRtspServer, type RtspServer } from '../support/rtsp-server.js';

const SUPERVISOR: SupervisorConfig = { backoffInitialS: 0.2, backoffMaxS: 1, jitter: 0.2, healthyAfterS: 30 };
const SECRET = `s3cr3t-${randomUUID().slice(0, 8)}`;
const uid = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;

let silent: Server;
let silentPort: number;
const sockets = new Set<Socket>();

before(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  silentPort = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as AddressInfo).port)));
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

function camera(input: string, over: Partial<SupervisedCamera> = {}): SupervisedCamera {
  return { name: 'yard', input, detect: { width: 320, height: 180, fps: 5 }, rtspTransport: 'tcp', stallTimeoutS: 2, ...over };
}

function captureLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg?: string): void => void lines.push(JSON.stringify({ level, msg, ...obj }));
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, text: () => lines.join('\n') };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function run(sup: CameraSupervisor): { frames: () => number; done: Promise<void> } {
  let n = 0;
  const done = (async () => {
    for await (const _ of sup.frames()) n++;
  })();
  return { frames: () => n, done };
}

describe('CameraSupervisor on cameras that stop talking', () => {
  it('a port that accepts and says nothing: stalls, restarts, INPUT_UNREACHABLE, password redacted everywhere', async () => {
    const mount = uid('silent');
    const url = `rtsp://admin:${SECRET}@127.0.0.1:${silentPort}/${mount}`;
    const log = captureLogger();
    // One camera with a configured size (the source's ffprobe hangs), one without (the size probe hangs).
    const sized = new CameraSupervisor({ camera: camera(`${url}/a`), supervisor: SUPERVISOR, logger: log.logger });
    const probed = new CameraSupervisor({ camera: camera(`${url}/b`, { detect: { fps: 5 } }), supervisor: SUPERVISOR, logger: log.logger });
    const runs = [run(sized), run(probed)];
    try {
      await waitFor('2 stalls on each camera', () => sized.status().stalls >= 2 && probed.status().stalls >= 2, 30_000);
      for (const sup of [sized, probed]) {
        const s = sup.status();
        assert.equal(s.lastError?.code, 'INPUT_UNREACHABLE');
        assert.match(s.lastError?.message ?? '', /rtsp:\/\/\*\*\*:\*\*\*@127\.0\.0\.1/);
        assert.ok(s.reconnects >= 1, `reconnects ${s.reconnects}`);
        assert.equal(s.framesIn, 0);
        assert.ok(!JSON.stringify(s).includes(SECRET), `password in status: ${JSON.stringify(s)}`);
      }
    } finally {
      const t0 = Date.now();
      await Promise.all([sized.stop(), probed.stop()]);
      await Promise.all(runs.map((r) => r.done));
      const stopMs = Date.now() - t0;
      assert.ok(stopMs < 1500, `stop took ${stopMs} ms`);
    }
    assert.ok(!log.text().includes(SECRET), 'password in the log');
    assert.match(log.text(), /\*\*\*:\*\*\*@127\.0\.0\.1/);
    // No ffmpeg is left; an abandoned ffprobe (it cannot be interrupted) ends at its own 15 s timeout.
    const atStop = await processesMentioning(mount);
    assert.deepEqual(atStop.filter((p) => /^\d+: ffmpeg /.test(p)), [], 'an ffmpeg was left');
    const t1 = Date.now();
    let lingering = atStop;
    while (lingering.length > 0 && Date.now() - t1 < 20_000) {
      await sleep(250);
      lingering = await processesMentioning(mount);
    }
    process.stderr.write(`camera-stall: ${atStop.length} abandoned ffprobe(s) at stop(), gone ${Date.now() - t1} ms later\n`);
    assert.deepEqual(lingering, []);
  });

  it('a frozen RTSP server (SIGSTOP): the stall is detected, and frames resume after SIGCONT', async () => {
    const mount = uid('frozen');
    let server: RtspServer | undefined;
    try {
      server = await startRtspServer({ mounts: { [mount]: await ensureTestClip() } });
      const sup = new CameraSupervisor({ camera: camera(server.url(mount)), supervisor: SUPERVISOR });
      const r = run(sup);
      try {
        await waitFor('10 frames', () => r.frames() >= 10, 20_000);
        server.pause();
        await waitFor('a stall', () => sup.status().stalls >= 1, 15_000);
        assert.equal(sup.status().lastError?.code, 'INPUT_UNREACHABLE');
        assert.match(sup.status().lastError?.message ?? '', /no frame for 2 s/);
        const before = r.frames();
        server.resume();
        await waitFor('frames after SIGCONT', () => r.frames() >= before + 10, 25_000);
        assert.equal(sup.status().state, 'streaming');
      } finally {
        await sup.stop();
        await r.done;
      }
    } finally {
      server?.resume();
      await server?.stop();
    }
  });
});
