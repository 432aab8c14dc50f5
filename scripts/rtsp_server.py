#!/usr/bin/python3
"""RTSP test server: GStreamer's GstRtspServer serving H.264 MP4 files, looped.

Usage:
  [RTSP_USER=U RTSP_PASSWORD=P] /usr/bin/python3 rtsp_server.py --port PORT --mount NAME=FILE.mp4 [--mount ...]

Each mount is rtsp://127.0.0.1:PORT/NAME, served by
  ( filesrc location=FILE ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )
in a pipeline of its own per client (not shared), which loops like a camera
that never ends: a segment seek to 0 each time the file's segment is done
(non-flushing, so running time and RTP timestamps keep increasing; a flushing
seek on EOS would send timestamps back to 0 and the client's fps filter would
drop the next whole clip length of frames).

With RTSP_USER and RTSP_PASSWORD set (environment, so the password is not in
the process list), every mount requires RTSP basic auth.
PORT 0 picks a free port. Prints "READY <port>" on stdout once listening.
Exits on SIGTERM/SIGINT, or when stdin closes (the parent test process died),
so a crashed test never leaves a server behind.
Needs Debian's python3-gi and gir1.2-gst-rtsp-server-1.0 (run with /usr/bin/python3).
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# Before any subclass is defined: the GstMessage type of the handle-message vfunc is registered here.
Gst.init(None)

ROLE = "user"


def log(msg):
    sys.stderr.write("rtsp_server: %s\n" % msg)
    sys.stderr.flush()


class LoopingMedia(GstRtspServer.RTSPMedia):
    """A media whose pipeline plays its file in segment mode and restarts it when done."""

    def do_handle_message(self, message):
        if message.type == Gst.MessageType.ASYNC_DONE and not getattr(self, "_looping", False):
            # First preroll (and after the client's PLAY seek, which is flushing and not in
            # segment mode): (re)arm segment mode at the current position.
            self._looping = self._segment_seek(Gst.SeekFlags.FLUSH | Gst.SeekFlags.SEGMENT)
        elif message.type == Gst.MessageType.SEGMENT_DONE:
            self._segment_seek(Gst.SeekFlags.SEGMENT)
            return True
        return GstRtspServer.RTSPMedia.do_handle_message(self, message)

    def _segment_seek(self, flags):
        pipeline = self.get_element().get_parent()
        if pipeline is None:
            return False
        ok = pipeline.seek(1.0, Gst.Format.TIME, flags, Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1)
        if not ok:
            log("segment seek failed")
        return ok


def make_factory(path, with_auth):
    if not os.path.isfile(path):
        raise SystemExit("rtsp_server: no such file: %s" % path)
    factory = GstRtspServer.RTSPMediaFactory()
    location = path.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        '( filesrc location="%s" ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )' % location
    )
    factory.set_shared(False)
    factory.set_media_gtype(LoopingMedia)
    if with_auth:
        role = Gst.Structure.new_from_string(
            "%s, media.factory.access=(boolean)true, media.factory.construct=(boolean)true" % ROLE
        )
        factory.add_role_from_structure(role)
    return factory


def make_auth(user, password):
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", ROLE)
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    return auth


def parse_args():
    p = argparse.ArgumentParser(description="GStreamer RTSP server for tests")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mount", action="append", required=True, metavar="NAME=FILE")
    a = p.parse_args()
    a.user = os.environ.get("RTSP_USER")
    a.password = os.environ.get("RTSP_PASSWORD")
    if (a.user is None) != (a.password is None):
        p.error("RTSP_USER and RTSP_PASSWORD go together")
    return a


def main():
    args = parse_args()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    with_auth = args.user is not None
    if with_auth:
        server.set_auth(make_auth(args.user, args.password))
    mounts = server.get_mount_points()
    for spec in args.mount:
        name, sep, path = spec.partition("=")
        if not sep or not name:
            raise SystemExit("rtsp_server: --mount wants NAME=FILE, got %r" % spec)
        mounts.add_factory("/" + name, make_factory(path, with_auth))

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        raise SystemExit("rtsp_server: cannot listen on 127.0.0.1:%d" % args.port)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_ERR | GLib.IO_IN,
                      lambda *_: on_stdin(loop))
    sys.stdout.write("READY %d\n" % server.get_bound_port())
    sys.stdout.flush()
    loop.run()


def on_stdin(loop):
    # The parent never writes; readable means EOF (it closed the pipe or died).
    if not os.read(sys.stdin.fileno(), 4096):
        loop.quit()
        return False
    return True


if __name__ == "__main__":
    main()
