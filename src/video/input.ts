/** What kind of thing an input string names; decides probe options, pacing and timeouts. */
export type InputKind = 'file' | 'rtsp' | 'url';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Schemes that are live by nature (a camera or a network feed, not a seekable file). */
const LIVE_SCHEMES = new Set(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'rtp', 'udp', 'srt', 'tcp']);

/** `rtsp://` / `rtsps://` are 'rtsp', any other `scheme://` is 'url', everything else a local path. */
export function inputKind(input: string): InputKind {
  const scheme = schemeOf(input);
  if (scheme === undefined) return 'file';
  return scheme === 'rtsp' || scheme === 'rtsps' ? 'rtsp' : 'url';
}

/** True for URLs whose scheme is a live transport (rtsp, rtmp, udp, srt...). */
export function isLiveScheme(input: string): boolean {
  const scheme = schemeOf(input);
  return scheme !== undefined && LIVE_SCHEMES.has(scheme);
}

function schemeOf(input: string): string | undefined {
  return SCHEME.exec(input)?.[1]?.toLowerCase();
}
