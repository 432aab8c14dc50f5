/** The ffmpeg command line of a frame source, kept apart so it can be read and tested as data. */
import { inputKind } from './input.js';

export interface FfmpegArgsOptions {
  input: string;
  width: number;
  height: number;
  fps: number;
  /** Real-time pacing; only adds -re for local files (network feeds are paced by the sender). */
  live: boolean;
  rtspTransport: 'tcp' | 'udp';
  /** ffmpeg's own socket timeout in seconds (rtsp: -timeout, other URLs: -rw_timeout). */
  socketTimeoutS: number;
}

/**
 * No -nostdin: stdin is a pipe so `q` can ask ffmpeg to stop cleanly.
 * -fflags +genpts+discardcorrupt: cameras send broken packets; make up missing
 * timestamps and drop corrupt frames instead of passing grey smears on.
 * fps=N then scale: the fps filter makes the output constant-rate (frames are
 * duplicated or dropped against the source timestamps), so frame index / fps is
 * the presentation time since the first frame; area scaling averages pixels
 * when shrinking, which keeps small far objects visible.
 */
export function buildFfmpegArgs(o: FfmpegArgsOptions): string[] {
  const kind = inputKind(o.input);
  const timeoutUs = String(Math.round(o.socketTimeoutS * 1e6));
  const args = ['-hide_banner', '-loglevel', 'error'];
  if (kind === 'rtsp') args.push('-rtsp_transport', o.rtspTransport, '-timeout', timeoutUs);
  if (kind === 'url') args.push('-rw_timeout', timeoutUs);
  if (kind === 'file' && o.live) args.push('-re');
  args.push('-fflags', '+genpts+discardcorrupt', '-i', o.input, '-an', '-sn', '-dn');
  args.push('-vf', `fps=${o.fps},scale=${o.width}:${o.height}:flags=area`);
  args.push('-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
  return args;
}
