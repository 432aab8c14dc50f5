/**
 * The bench's cameras: one GStreamer RTSP server (test/support/rtsp-server.ts,
 * one mount) per camera on loopback, each looping the same clip, as each real
 * camera is its own device.
 *
 * Why one server per camera, and why restart(): measured here, one
 * rtsp_server.py serving two clients at once (two mounts, connects together or
 * 1.5 s apart) sooner or later (round 1 of 10 in one trial, round 5 of 6 in
 * another) sent a client no frames and from then on refused every connect
 * ("Invalid data found when processing input"; nothing on its stderr). One
 * server per camera: 0 of 8 rounds of 4 simultaneous plain-ffmpeg clients
 * failed, but under the daemon's load a server still wedged now and then on
 * its first client. The daemon sees that as a camera that stalls forever, so
 * the bench power-cycles such a camera's server (same port) and counts it.
 */
import { startRtspServer, type RtspServer } from '../test/support/rtsp-server.js';

export class CameraFleet {
  /** Camera names whose server was restarted, in order (a name once per restart). */
  readonly restarted: string[] = [];

  private constructor(private readonly servers: ReadonlyMap<string, RtspServer>) {}

  /** Starts one server per name, one after another; on a failure stops the ones started. */
  static async start(names: readonly string[], clipPath: string): Promise<CameraFleet> {
    const servers = new Map<string, RtspServer>();
    try {
      for (const name of names) servers.set(name, await startRtspServer({ mounts: { [name]: clipPath } }));
    } catch (e) {
      await Promise.all([...servers.values()].map((s) => s.stop()));
      throw e;
    }
    return new CameraFleet(servers);
  }

  get size(): number {
    return this.servers.size;
  }

  ports(): number[] {
    return [...this.servers.values()].map((s) => s.port);
  }

  /** rtsp://127.0.0.1:PORT/<name>. */
  url(name: string): string {
    return this.server(name).url(name);
  }

  /** Stops the camera's server (SIGTERM, SIGKILL after 3 s) and starts it again on the same port. */
  async restart(name: string): Promise<void> {
    await this.server(name).restart();
    this.restarted.push(name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }

  private server(name: string): RtspServer {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no RTSP camera "${name}" was started`);
    return s;
  }
}
