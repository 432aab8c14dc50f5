/** What the supervisor restarts: a frame source, made fresh for every run. */
import type { Frame } from '../core/types.js';
import { FfmpegFrameSource } from '../video/ffmpeg-source.js';
import type { Logger } from '../video/logger.js';

/** The slice of FfmpegFrameSource the supervisor uses; fakes implement it in unit tests. */
export interface FrameSource {
  /** Frames of one run; ends when the input ends, throws a coded AgentError when it fails. */
  frames(): AsyncIterable<Frame>;
  /** Ends the run (frames() returns); resolves once the source has let go of its process. */
  stop(): Promise<void>;
  /** Counters of the current (or last) run. */
  readonly stats: { readonly framesIn: number; readonly framesDropped: number };
}

export interface FrameSourceOptions {
  /** Camera URL (or file); holds credentials: never log it unredacted. */
  input: string;
  width: number;
  height: number;
  fps: number;
  rtspTransport: 'tcp' | 'udp';
  /** Seconds without a frame before the source gives up (INPUT_UNREACHABLE). */
  stallTimeoutS: number;
  logger: Logger;
}

export type FrameSourceFactory = (options: FrameSourceOptions) => FrameSource;

/** ffmpeg, live: drops the oldest frame when the consumer lags, a file input is paced in real time. */
export const ffmpegSourceFactory: FrameSourceFactory = (o) => new FfmpegFrameSource({ ...o, live: true });
