/**
 * CameraSupervisor with the real ffmpeg against a real GStreamer RTSP server on
 * loopback: streaming at the right size and rate, basic auth right and wrong,
 * and stop() while streaming and while backing off, leaving no ffmpeg behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CameraSupervisor, type SupervisedCamera } from '../../src/camera/supervisor.js';
import type { SupervisorConfig } from '../../src/config/schema.js';
import type { Logger } from '../../src/video/logger.js';
import { ensureTestClip, processesMentioning, startRtspServer, type RtspServer } from '../support/rtsp-server.js';

const SUPERVISOR: SupervisorConfig = { backoffInitialS: 0.3, backoffMaxS: 2, jitter: 0.2, healthyAfterS: 30 };
const USER = 'viewer';
const PASSWORD = `pw-${randomUUID().slice(0, 8)}`;
const WRONG = `bad-${randomUUID().slice(0, 8)}`;
const uid = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;
const M = { stream: uid('stream'), sized: uid('sized'), auth: uid('auth'), wrong: uid('wrong') };

let server: RtspServer;
let authServer: RtspServer;

before(async () => {
  const clip = await ensureTestClip(); // 640x360, 25 fps, 4 s, looped by the server
  server = await startRtspServer({ mounts: { [M.stream]: clip, [M.sized]: clip } });
  authServer = await startRtspServer({ mounts: { [M.auth]: clip, [M.wrong]: clip }, auth: { user: USER, password: PASSWORD } });
});

after(async () => {
  await server?.stop();
  await authServer?.stop();
});

function camera(input: string, over: Partial<SupervisedCamera> = {}): SupervisedCamera {
  return { name: 'gate', input, detect: { fps: 5 }, rtspTransport: 'tcp', stallTimeoutS: 5, ...over };
}

interface Captured {
  logger: Logger;
  lines: Record<string, unknown>[];
  text(): string;
}

function captureLogger(): Captured {
  const lines: Record<string, unknown>[] = [];
  const at = (level: string) => (obj: object, msg?: string): void => void lines.push({ level, msg, ...obj });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

interface Seen {
  index: number;
  tS: number;
  width: number;
  height: number;
  bytes: number;
  atMs: number;
}

/** Pulls frames in the background, keeping only their metadata (RGB frames are big). */
function consume(sup: CameraSupervisor): { seen: Seen[]; done: Promise<void> } {
  const seen: Seen[] = [];
  const done = (async () => {
    for await (const f of sup.frames()) seen.push({ index: f.index, tS: f.tS, width: f.width, height: f.height, bytes: f.rgb.length, atMs: Date.now() });
  })();
  return { seen, done };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** stop(), then the generator's end: both timed. */
async function timedStop(sup: CameraSupervisor, done: Promise<void>): Promise<number> {
  const t0 = Date.now();
  await sup.stop();
  await done;
  return Date.now() - t0;
}

async function assertNoClients(url: string): Promise<void> {
  assert.deepEqual(await processesMentioning(url), [], `processes still using ${url}`);
}

function assertIncreasing(seen: Seen[]): void {
  for (let k = 1; k < seen.length; k++) {
    const [a, b] = [seen[k - 1] as Seen, seen[k] as Seen];
    assert.ok(b.index > a.index && b.tS > a.tS, `frame ${k}: index ${a.index} -> ${b.index}, tS ${a.tS} -> ${b.tS}`);
  }
}

describe('CameraSupervisor on a GStreamer RTSP server', () => {
  it('streams frames at the input size, reports streaming with fpsIn near the configured fps, and stops promptly leaving no ffmpeg', async () => {
    const url = server.url(M.stream);
    const log = captureLogger();
    const sup = new CameraSupervisor({ camera: camera(url), supervisor: SUPERVISOR, logger: log.logger });
    assert.equal(sup.status().state, 'stopped');
    const { seen, done } = consume(sup);
    try {
      await waitFor('25 frames', () => seen.length >= 25, 20_000);
      await sleep(1500);
      const s = sup.status();
      assert.equal(s.state, 'streaming');
      assert.ok(s.fpsIn > 0.5 * 5 && s.fpsIn < 3 * 5, `fpsIn ${s.fpsIn}`);
      assert.ok(s.framesIn >= seen.length, `framesIn ${s.framesIn} < ${seen.length} frames seen`);
      assert.deepEqual([s.reconnects, s.stalls, s.lastError, s.nextRetryInS], [0, 0, null, null]);
      assert.ok(s.lastFrameAt !== null && Date.now() - Date.parse(s.lastFrameAt) < 2000, `lastFrameAt ${s.lastFrameAt}`);
      for (const f of seen) assert.deepEqual([f.width, f.height, f.bytes], [640, 360, 640 * 360 * 3]);
      assertIncreasing(seen);
      assert.ok(log.lines.some((l) => l.msg === 'camera streaming' && l.camera === 'gate'));
    } finally {
      const ms = await timedStop(sup, done);
      const first = log.lines.find((l) => l.msg === 'camera streaming')?.sinceStartS;
      process.stderr.write(`camera-supervisor: first frame ${first} s after start, stop while streaming ${ms} ms\n`);
      assert.ok(ms < 3000, `stop took ${ms} ms`);
    }
    assert.equal(sup.status().state, 'stopped');
    await assertNoClients(url);
  });

  it('scales to the configured detect width, keeping the aspect ratio', async () => {
    const sup = new CameraSupervisor({ camera: camera(server.url(M.sized), { detect: { width: 320, fps: 5 } }), supervisor: SUPERVISOR });
    const { seen, done } = consume(sup);
    try {
      await waitFor('5 frames', () => seen.length >= 5, 20_000);
      for (const f of seen) assert.deepEqual([f.width, f.height, f.bytes], [320, 180, 320 * 180 * 3]);
    } finally {
      await timedStop(sup, done);
    }
  });

  it('streams with the right basic-auth credentials', async () => {
    const url = authServer.url(M.auth, { user: USER, password: PASSWORD });
    const log = captureLogger();
    const sup = new CameraSupervisor({ camera: camera(url), supervisor: SUPERVISOR, logger: log.logger });
    const { seen, done } = consume(sup);
    try {
      await waitFor('10 frames', () => seen.length >= 10, 20_000);
      assert.equal(sup.status().state, 'streaming');
      assert.equal(sup.status().lastError, null);
    } finally {
      await timedStop(sup, done);
    }
    assert.ok(!log.text().includes(PASSWORD), 'password in the log');
    await assertNoClients(url);
  });

  it('with wrong credentials: a coded error, growing backoff, no password anywhere; stop() in backoff ends at once', async () => {
    const url = authServer.url(M.wrong, { user: USER, password: WRONG });
    const log = captureLogger();
    const sup = new CameraSupervisor({ camera: camera(url, { detect: { width: 320, height: 180, fps: 5 } }), supervisor: SUPERVISOR, logger: log.logger, random: () => 0.5 });
    const { seen, done } = consume(sup);
    let stopMs = Infinity;
    try {
      await waitFor('3 reconnects, then backoff', () => sup.status().reconnects >= 3 && sup.status().state === 'backoff', 20_000);
      const s = sup.status();
      assert.equal(seen.length, 0);
      assert.equal(s.lastError?.code, 'INPUT_UNREACHABLE');
      assert.match(s.lastError?.message ?? '', /401/);
      assert.match(s.lastError?.message ?? '', /rtsp:\/\/\*\*\*:\*\*\*@127\.0\.0\.1/);
      assert.ok(s.nextRetryInS !== null && s.nextRetryInS <= SUPERVISOR.backoffMaxS, `nextRetryInS ${s.nextRetryInS}`);
      const delays = log.lines.filter((l) => l.msg === 'camera failed, restarting after backoff').map((l) => l.delayS);
      assert.deepEqual(delays.slice(0, 4), [0.3, 0.6, 1.2, 2].slice(0, Math.min(4, delays.length)));
      for (const text of [JSON.stringify(s), log.text()]) {
        assert.ok(!text.includes(WRONG) && !text.includes(PASSWORD), `a password leaked: ${text.slice(0, 400)}`);
      }
    } finally {
      stopMs = await timedStop(sup, done);
    }
    process.stderr.write(`camera-supervisor: stop during backoff ${stopMs} ms\n`);
    assert.ok(stopMs < 1000, `stop during backoff took ${stopMs} ms`);
    assert.equal(sup.status().state, 'stopped');
    await assertNoClients(url);
  });
});
