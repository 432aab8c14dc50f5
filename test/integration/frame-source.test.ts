/**
 * FfmpegFrameSource and probeInput against the real ffmpeg/ffprobe: the real
 * walkway clip, small clips generated per run, and local TCP/HTTP servers
 * standing in for a refused, a silent and a stalling camera.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError } from '../../src/core/errors.js';
import type { Frame } from '../../src/core/types.js';
import { buildFfmpegArgs } from '../../src/video/ffmpeg-args.js';
import { FfmpegFrameSource, type FfmpegFrameSourceOptions } from '../../src/video/ffmpeg-source.js';
import { probeInput } from '../../src/video/probe.js';

const VTEST = join(process.cwd(), '.cache/footage/vtest.avi');
let dir: string;
let clip: string; // 320x240, 10 fps, 3 s = 30 frames

before(async () => {
  assert.ok(existsSync(VTEST), `${VTEST} missing: run bash scripts/fetch-footage.sh`);
  dir = await mkdtemp(join(tmpdir(), 'frame-source-'));
  clip = join(dir, 'testsrc2.mkv');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '3', '-c:v', 'mpeg4', clip);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

async function collect(source: FfmpegFrameSource, perFrame?: (f: Frame) => Promise<void>): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of source.frames()) {
    frames.push(frame);
    await perFrame?.(frame);
  }
  return frames;
}

async function agentErrorOf(opts: FfmpegFrameSourceOptions): Promise<AgentError> {
  try {
    await collect(new FfmpegFrameSource(opts));
  } catch (e) {
    assert.ok(e instanceof AgentError, `expected an AgentError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the source to throw');
}

function assertNoSecret(e: AgentError, secret: string): void {
  for (const text of [e.message, e.hint ?? '', e.oneLine()]) assert.ok(!text.includes(secret), text);
}

/** Command lines of running processes that mention `needle` (read from /proc). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) found.push(cmd.replaceAll('\0', ' '));
  }
  return found;
}

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('probeInput', () => {
  it('reads size, rate, duration and codec of the walkway clip', async () => {
    const info = await probeInput(VTEST);
    assert.deepEqual(info, { width: 768, height: 576, fps: 10, durationS: 79.5, codec: 'msmpeg4v3', live: false });
  });

  it('reports a camera that accepts but never answers as unreachable within the timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s));
    const port = await listen(silent);
    const started = Date.now();
    try {
      await assert.rejects(probeInput(`rtsp://admin:hush@127.0.0.1:${port}/live`, { timeoutS: 1 }), (e: AgentError) => {
        assert.equal(e.code, 'INPUT_UNREACHABLE');
        assertNoSecret(e, 'hush');
        return true;
      });
      assert.ok(Date.now() - started < 5000, 'probe timeout not honoured');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('reports a missing ffprobe as FFMPEG_MISSING with the install hint', async () => {
    await assert.rejects(probeInput(VTEST, { ffprobePath: join(dir, 'no-such-ffprobe') }), (e: AgentError) => {
      assert.equal(e.code, 'FFMPEG_MISSING');
      assert.equal(e.hint, 'install ffmpeg: apt-get install ffmpeg (or run scripts/setup.sh)');
      return true;
    });
  });
});

describe('buildFfmpegArgs', () => {
  const base = { width: 64, height: 48, fps: 5, live: false, rtspTransport: 'tcp' as const, socketTimeoutS: 12 };

  it('uses TCP and the rtsp socket timeout in microseconds for rtsp, never -re', () => {
    const args = buildFfmpegArgs({ ...base, input: 'rtsp://cam/x', live: true }).join(' ');
    assert.match(args, /-rtsp_transport tcp -timeout 12000000 -fflags \+genpts\+discardcorrupt -i rtsp:\/\/cam\/x/);
    assert.doesNotMatch(args, / -re | -nostdin /);
    assert.match(args, /-an -sn -dn -vf fps=5,scale=64:48:flags=area -pix_fmt rgb24 -f rawvideo pipe:1$/);
  });

  it('paces a file with -re only when live pacing is asked for', () => {
    assert.ok(buildFfmpegArgs({ ...base, input: '/a.mp4', live: true }).includes('-re'));
    assert.ok(!buildFfmpegArgs({ ...base, input: '/a.mp4' }).includes('-re'));
  });
});

describe('FfmpegFrameSource on files', () => {
  it('decodes the walkway clip at 384x288, 5 fps: count, size, timestamps, real pixels', async () => {
    const source = new FfmpegFrameSource({ input: VTEST, width: 384, height: 288, fps: 5 });
    const frames = await collect(source);
    assert.ok(Math.abs(frames.length - 79.5 * 5) <= 2, `got ${frames.length} frames`);
    frames.forEach((f, i) => {
      assert.equal(f.index, i);
      assert.equal(f.rgb.length, 384 * 288 * 3);
      assert.ok(Math.abs(f.tS - i * 0.2) < 1e-9, `frame ${i} tS ${f.tS}`);
    });
    const mid = frames[Math.floor(frames.length / 2)]!.rgb;
    assert.ok(new Set(mid).size > 50, 'pixels do not vary');
    assert.deepEqual(source.stats, { framesIn: frames.length, framesDropped: 0, restarts: 0 });
  });

  it('gives a slow consumer every frame of a file (backpressure, no drops)', async () => {
    const source = new FfmpegFrameSource({ input: clip, width: 320, height: 240, fps: 10, queueCapacity: 2 });
    const frames = await collect(source, () => sleep(20));
    assert.deepEqual(frames.map((f) => f.index), [...Array(30).keys()]);
    assert.equal(source.stats.framesDropped, 0);
  });

  it('drops the oldest frames (and counts them) for a slow consumer of a live-paced source', async () => {
    const source = new FfmpegFrameSource({ input: clip, width: 160, height: 120, fps: 10, live: true, queueCapacity: 2 });
    const frames = await collect(source, () => sleep(250));
    const { framesIn, framesDropped } = source.stats;
    assert.equal(framesIn, 30);
    assert.ok(framesDropped > 5, `only ${framesDropped} dropped`);
    assert.equal(frames.length + framesDropped, framesIn);
    assert.equal(frames.at(-1)!.index, 29, 'the newest frame must survive');
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.index > frames[i - 1]!.index);
  });

  it('stops ffmpeg when the consumer breaks out of the loop', async () => {
    const unique = join(dir, `break-${process.pid}-${Date.now()}.avi`);
    await copyFile(VTEST, unique);
    const source = new FfmpegFrameSource({ input: unique, width: 384, height: 288, fps: 5 });
    let n = 0;
    const started = Date.now();
    for await (const _frame of source.frames()) if (++n === 3) break;
    assert.ok(Date.now() - started < 4000, 'stop took the SIGTERM/SIGKILL path');
    await sleep(100);
    assert.deepEqual(await processesMentioning(unique), []);
  });

  it('ends the generator without error when stop() is called', async () => {
    const source = new FfmpegFrameSource({ input: VTEST, width: 192, height: 144, fps: 5 });
    const frames = await collect(source, async (f) => {
      if (f.index === 4) await source.stop();
    });
    assert.equal(frames.length, 5);
  });
});

describe('FfmpegFrameSource errors', () => {
  const size = { width: 64, height: 48, fps: 5 };

  it('INPUT_NOT_FOUND for a missing file, naming it', async () => {
    const missing = join(dir, 'nope.mp4');
    const e = await agentErrorOf({ ...size, input: missing });
    assert.equal(e.code, 'INPUT_NOT_FOUND');
    assert.ok(e.message.includes(missing));
  });

  it('INPUT_NOT_VIDEO for a text file named .mp4, naming it', async () => {
    const fake = join(dir, 'notes.mp4');
    await writeFile(fake, 'these are meeting notes, not a video\n'.repeat(20));
    const e = await agentErrorOf({ ...size, input: fake });
    assert.equal(e.code, 'INPUT_NOT_VIDEO');
    assert.ok(e.message.includes(fake));
  });

  it('INPUT_NOT_VIDEO for an audio-only file', async () => {
    const wav = join(dir, 'tone.wav');
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', wav);
    const e = await agentErrorOf({ ...size, input: wav });
    assert.equal(e.code, 'INPUT_NOT_VIDEO');
    assert.match(e.message, /no video stream/);
  });

  it('INPUT_UNREACHABLE for a refused rtsp camera, credentials redacted', async () => {
    const e = await agentErrorOf({ ...size, input: 'rtsp://user:secret@127.0.0.1:1/x' });
    assert.equal(e.code, 'INPUT_UNREACHABLE');
    assert.ok(e.message.includes('rtsp://***:***@127.0.0.1:1/x'), e.message);
    assertNoSecret(e, 'secret');
  });

  it('FFMPEG_MISSING when the ffmpeg binary does not exist', async () => {
    const e = await agentErrorOf({ ...size, input: clip, ffmpegPath: join(dir, 'no-such-ffmpeg') });
    assert.equal(e.code, 'FFMPEG_MISSING');
    assert.match(e.hint ?? '', /apt-get install ffmpeg/);
  });

  it('FFMPEG_FAILED with the redacted stderr tail when ffmpeg exits non-zero before any frame', async () => {
    const fakeFfmpeg = join(dir, 'failing-ffmpeg.sh');
    await writeFile(fakeFfmpeg, '#!/bin/sh\necho "rtsp://cam:topsecret@10.1.1.1/x: decoder exploded" >&2\nexit 3\n');
    await chmod(fakeFfmpeg, 0o755);
    const e = await agentErrorOf({ ...size, input: clip, ffmpegPath: fakeFfmpeg });
    assert.equal(e.code, 'FFMPEG_FAILED');
    assert.match(e.message, /before any frame \(exit code 3\): rtsp:\/\/\*\*\*:\*\*\*@10\.1\.1\.1\/x: decoder exploded/);
    assertNoSecret(e, 'topsecret');
  });

  it('INPUT_UNREACHABLE "no frame for N s" when a live stream stalls', async () => {
    const y4m = join(dir, 'stall.y4m');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', '-f', 'yuv4mpegpipe', y4m);
    const body = await readFile(y4m);
    // Sends one second of video, then keeps the connection open without another byte.
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/x-yuv4mpeg' });
      res.write(body);
    });
    const port = await listen(server);
    try {
      const source = new FfmpegFrameSource({
        input: `http://viewer:pa55word@127.0.0.1:${port}/live.y4m`, width: 160, height: 120, fps: 10, stallTimeoutS: 1,
      });
      const frames: Frame[] = [];
      const started = Date.now();
      await assert.rejects(collect(source, async (f) => void frames.push(f)), (e: AgentError) => {
        assert.equal(e.code, 'INPUT_UNREACHABLE');
        assert.match(e.message, /^no frame for 1 s from http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1/);
        assertNoSecret(e, 'pa55word');
        return true;
      });
      assert.ok(frames.length >= 5, `only ${frames.length} frames before the stall`);
      assert.ok(Date.now() - started < 4000, 'a stalled ffmpeg must be killed at once, not stopped gracefully');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
