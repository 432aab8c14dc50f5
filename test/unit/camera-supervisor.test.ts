/**
 * CameraSupervisor with fake sources, a fake clock (the backoff waits are
 * recorded, not slept) and an injected random: restart schedule, counters,
 * the monotonic timeline, stall classification, stop(), redaction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../src/camera/clock.js';
import type { FrameSource, FrameSourceOptions } from '../../src/camera/source.js';
import { CameraSupervisor, type CameraSupervisorOptions, type SupervisedCamera } from '../../src/camera/supervisor.js';
import type { SupervisorConfig } from '../../src/config/schema.js';
import { AgentError } from '../../src/core/errors.js';
import type { Frame } from '../../src/core/types.js';

const URL_WITH_PASSWORD = 'rtsp://admin:hunter2@cam.local:554/live';
const SUPERVISOR: SupervisorConfig = { backoffInitialS: 1, backoffMaxS: 30, jitter: 0.2, healthyAfterS: 30 };
const CAMERA: SupervisedCamera = { name: 'porch', input: URL_WITH_PASSWORD, detect: { width: 64, height: 48, fps: 5 }, rtspTransport: 'tcp', stallTimeoutS: 600 };

/** Time moves only when the supervisor sleeps (each wait is recorded) or a fake source advances it. */
class FakeClock implements Clock {
  t = Date.parse('2025-01-01T00:00:00Z');
  readonly sleeps: number[] = [];
  onSleep: (() => void) | undefined;

  now(): number {
    return this.t;
  }

  sleep(ms: number, _signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    this.onSleep?.();
    return Promise.resolve();
  }
}

interface Script {
  /** Frames to yield (each advances the clock by frameMs). */
  frames?: number;
  frameMs?: number;
  /** After the frames: end, throw, or hang until stop(). */
  then?: 'end' | 'hang' | Error;
  /** Real milliseconds to wait before `then`. */
  delayMs?: number;
  dropped?: number;
}

class FakeSource implements FrameSource {
  readonly options: FrameSourceOptions;
  stopped = false;
  readonly #script: Script;
  readonly #clock: FakeClock;
  #framesIn = 0;
  #wake: (() => void) | undefined;

  constructor(options: FrameSourceOptions, script: Script, clock: FakeClock) {
    this.options = options;
    this.#script = script;
    this.#clock = clock;
  }

  get stats(): { framesIn: number; framesDropped: number } {
    return { framesIn: this.#framesIn, framesDropped: this.#script.dropped ?? 0 };
  }

  async *frames(): AsyncGenerator<Frame, void, undefined> {
    const { width, height, fps } = this.options;
    for (let k = 0; k < (this.#script.frames ?? 0) && !this.stopped; k++) {
      this.#clock.t += this.#script.frameMs ?? 200;
      this.#framesIn++;
      yield { index: k, tS: k / fps, width, height, rgb: new Uint8Array(width * height * 3) };
    }
    if (this.#script.delayMs) await new Promise((r) => setTimeout(r, this.#script.delayMs));
    const then = this.#script.then ?? 'end';
    if (then === 'hang' && !this.stopped) await new Promise<void>((r) => (this.#wake = r));
    if (then instanceof Error && !this.stopped) throw then;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.#wake?.();
  }
}

function failed(): AgentError {
  return new AgentError('FFMPEG_FAILED', `ffmpeg failed on ${URL_WITH_PASSWORD} after 3 frames (exit code 1): boom`);
}

/** A supervisor whose n-th run follows scripts[n] (the last one repeats). */
function setup(scripts: Script[], over: Partial<CameraSupervisorOptions> = {}) {
  const clock = new FakeClock();
  const sources: FakeSource[] = [];
  const sup = new CameraSupervisor({
    camera: CAMERA,
    supervisor: SUPERVISOR,
    clock,
    random: () => 0.5,
    sourceFactory: (o) => {
      const s = new FakeSource(o, scripts[Math.min(sources.length, scripts.length - 1)] as Script, clock);
      sources.push(s);
      return s;
    },
    ...over,
  });
  return { sup, clock, sources };
}

async function collect(sup: CameraSupervisor, each?: (f: Frame) => void, signal?: AbortSignal): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of sup.frames(signal)) {
    frames.push(f);
    each?.(f);
  }
  return frames;
}

function stopAfterSleeps(clock: FakeClock, sup: CameraSupervisor, n: number): void {
  clock.onSleep = () => {
    if (clock.sleeps.length >= n) void sup.stop();
  };
}

describe('CameraSupervisor (fake sources)', () => {
  it('restarts after each failure with doubling delays, counts reconnects and keeps index and tS monotonic', async () => {
    const { sup, clock, sources } = setup([{ frames: 3, then: failed(), dropped: 1 }]);
    stopAfterSleeps(clock, sup, 5);
    const frames = await collect(sup);
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 8000, 16000]);
    assert.equal(sources.length, 5);
    assert.deepEqual(frames.map((f) => f.index), Array.from({ length: 15 }, (_, k) => k));
    // Each run is rebased to the time since start at its first frame: 0.2 s of frames, then the waits.
    const firsts = [0, 3, 6, 9, 12].map((k) => frames[k]?.tS);
    assert.deepEqual(firsts.map((t) => Math.round((t ?? NaN) * 1000) / 1000), [0.2, 1.8, 4.4, 9, 17.6]);
    for (let k = 1; k < frames.length; k++) assert.ok((frames[k]?.tS ?? 0) > (frames[k - 1]?.tS ?? 0), `tS at ${k}`);
    const s = sup.status();
    assert.deepEqual([s.state, s.reconnects, s.stalls, s.framesIn, s.framesDropped, s.nextRetryInS], ['stopped', 4, 0, 15, 5, null]);
    assert.equal(s.lastError?.code, 'FFMPEG_FAILED');
    assert.ok(!JSON.stringify(s).includes('hunter2'), JSON.stringify(s));
    assert.match(s.lastError?.message ?? '', /rtsp:\/\/\*\*\*:\*\*\*@cam\.local/);
  });

  it('passes the camera settings to each new source', async () => {
    const { sup, clock, sources } = setup([{ frames: 1, then: failed() }]);
    stopAfterSleeps(clock, sup, 2);
    await collect(sup);
    for (const s of sources) {
      const { input, width, height, fps, rtspTransport, stallTimeoutS } = s.options;
      assert.deepEqual({ input, width, height, fps, rtspTransport, stallTimeoutS }, { input: URL_WITH_PASSWORD, width: 64, height: 48, fps: 5, rtspTransport: 'tcp', stallTimeoutS: 600 });
    }
  });

  it('goes back to backoffInitialS after a run that streamed healthyAfterS', async () => {
    const { sup, clock } = setup([{ then: failed() }, { then: failed() }, { frames: 2, frameMs: 31_000, then: failed() }, { then: failed() }]);
    stopAfterSleeps(clock, sup, 4);
    await collect(sup);
    assert.deepEqual(clock.sleeps, [1000, 2000, 1000, 2000]);
  });

  it('treats a live stream that ends as a failure and restarts it', async () => {
    const { sup, clock } = setup([{ frames: 2, then: 'end' }]);
    stopAfterSleeps(clock, sup, 2);
    const frames = await collect(sup);
    assert.equal(frames.length, 4);
    assert.equal(sup.status().lastError?.code, 'INPUT_UNREACHABLE');
    assert.match(sup.status().lastError?.message ?? '', /ended the stream after 2 frames/);
  });

  it('restarts a source that delivers no frame within stallTimeoutS (its own watchdog aside) and counts a stall', async () => {
    const { sup, clock, sources } = setup([{ then: 'hang' }], { camera: { ...CAMERA, stallTimeoutS: 0.1 } });
    stopAfterSleeps(clock, sup, 1);
    await collect(sup);
    const s = sup.status();
    assert.equal(s.stalls, 1);
    assert.equal(s.lastError?.code, 'INPUT_UNREACHABLE');
    assert.equal(s.lastError?.message, 'no frame for 0.1 s from rtsp://***:***@cam.local:554/live');
    assert.ok(sources[0]?.stopped, 'the stalled source was not stopped');
  });

  it('counts an INPUT_UNREACHABLE after a long silence as a stall, an immediate one (refused, 401) not', async () => {
    const unreachable = (): AgentError => new AgentError('INPUT_UNREACHABLE', `cannot open ${URL_WITH_PASSWORD}: Connection refused`);
    const camera = { ...CAMERA, stallTimeoutS: 0.1 };
    const slow = setup([{ frames: 1, delayMs: 80, then: unreachable() }], { camera });
    stopAfterSleeps(slow.clock, slow.sup, 2);
    await collect(slow.sup);
    assert.equal(slow.sup.status().stalls, 2);
    const quick = setup([{ then: unreachable() }], { camera });
    stopAfterSleeps(quick.clock, quick.sup, 2);
    await collect(quick.sup);
    assert.equal(quick.sup.status().stalls, 0);
  });

  it('rethrows programmer errors instead of retrying them', async () => {
    const { sup } = setup([{ then: new TypeError('bug in a source') }]);
    await assert.rejects(collect(sup), TypeError);
    assert.equal(sup.status().state, 'stopped');
  });

  it('stop() during backoff ends frames() at once and reports the retry time while waiting', async () => {
    const clock = new FakeClock();
    clock.sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
      clock.sleeps.push(ms);
      return new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
    };
    const { sup } = setup([{ then: failed() }], { clock });
    const done = collect(sup);
    while (sup.status().state !== 'backoff') await new Promise((r) => setImmediate(r));
    assert.equal(sup.status().nextRetryInS, 1);
    const t0 = performance.now();
    await sup.stop();
    await done;
    assert.ok(performance.now() - t0 < 200, `stop took ${performance.now() - t0} ms`);
    assert.deepEqual([sup.status().state, sup.status().nextRetryInS], ['stopped', null]);
  });

  it('stop() while the consumer holds a frame stops the source; the next pull ends the stream', async () => {
    const { sup, sources } = setup([{ frames: 100, then: 'hang' }]);
    const it = sup.frames();
    assert.equal((await it.next()).done, false);
    assert.equal(sup.status().state, 'streaming');
    await sup.stop();
    assert.ok(sources[0]?.stopped);
    assert.equal(sup.status().state, 'stopped');
    assert.equal((await it.next()).done, true);
  });

  it('an aborted signal ends frames() like stop()', async () => {
    const { sup, sources } = setup([{ frames: 1000 }]);
    const ac = new AbortController();
    const frames = await collect(sup, (f) => f.index === 4 && ac.abort(), ac.signal);
    assert.equal(frames.length, 5);
    assert.ok(sources[0]?.stopped);
  });

  it('reports fpsIn over the last seconds and lastFrameAt from the clock', async () => {
    const { sup, clock } = setup([{ frames: 50, frameMs: 200, then: 'hang' }]);
    let mid: ReturnType<CameraSupervisor['status']> | undefined;
    await collect(sup, (f) => {
      if (f.index === 29) {
        mid = sup.status();
        void sup.stop();
      }
    });
    assert.equal(mid?.fpsIn, 5);
    assert.equal(mid?.lastFrameAt, new Date(clock.t).toISOString());
    assert.equal(mid?.state, 'streaming');
  });

  it('probes the input size once when detect width and height are missing, retrying a failed probe with backoff', async () => {
    const probes: string[] = [];
    const probe = async (input: string): Promise<{ width: number; height: number }> => {
      probes.push(input);
      if (probes.length === 1) throw new AgentError('INPUT_UNREACHABLE', `cannot open ${input}: Connection refused`);
      return { width: 1920, height: 1080 };
    };
    const { sup, clock, sources } = setup([{ frames: 1, then: failed() }], { probe, camera: { ...CAMERA, detect: { fps: 5 } } });
    stopAfterSleeps(clock, sup, 3);
    const frames = await collect(sup);
    assert.equal(probes.length, 2);
    assert.deepEqual(sources.map((s) => [s.options.width, s.options.height]), [[1280, 720], [1280, 720]]);
    assert.deepEqual([frames[0]?.width, frames[0]?.height], [1280, 720]);
  });

  it('keeps tS on the source clock within a run, even for frames in the same millisecond', async () => {
    const { sup, clock } = setup([{ frames: 10, frameMs: 0, then: failed() }]);
    stopAfterSleeps(clock, sup, 2);
    const frames = await collect(sup);
    assert.deepEqual(frames.map((f) => Math.round(f.tS * 1000) / 1000).slice(0, 4), [0, 0.2, 0.4, 0.6]);
    assert.deepEqual(frames.map((f) => f.index).slice(0, 13), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // The second run starts 1 s (the backoff) after start, but never behind the last frame (1.8 s).
    assert.equal(Math.round((frames[10]?.tS ?? NaN) * 1000) / 1000, 2);
  });

  it('gives up on a size probe that does not answer within stallTimeoutS, and counts a stall', async () => {
    const probe = (): Promise<{ width: number; height: number }> => new Promise(() => undefined);
    const { sup, clock, sources } = setup([{}], { probe, camera: { ...CAMERA, detect: { fps: 5 }, stallTimeoutS: 0.1 } });
    stopAfterSleeps(clock, sup, 1);
    await collect(sup);
    assert.equal(sources.length, 0);
    assert.equal(sup.status().stalls, 1);
    assert.equal(sup.status().lastError?.message, 'no answer within 1.1 s from rtsp://***:***@cam.local:554/live');
  });

  it('refuses a camera without an input', async () => {
    const { sup } = setup([{}], { camera: { ...CAMERA, input: undefined } });
    await assert.rejects(collect(sup), (e: unknown) => e instanceof AgentError && e.code === 'CONFIG_INVALID');
  });
});
