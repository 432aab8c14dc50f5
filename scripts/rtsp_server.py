#!/usr/bin/python3
"""RTSP test server: GStreamer's GstRtspServer serving H.264 MP4 files, looped.

Usage:
  [RTSP_USER=U RTSP_PASSWORD=P] /usr/bin/python3 rtsp_server.py --port PORT --mount NAME=FILE.mp4 [--mount ...]

Each mount is rtsp://127.0.0.1:PORT/NAME. The file's H.264 access units are
read once at start (qtdemux ! h264parse), and every client gets a pipeline of
its own (not shared):
  ( appsrc is-live=true ! rtph264pay name=pay0 pt=96 config-interval=-1 )
fed with those units in order forever, each pass shifted by the clip's length,
so timestamps keep increasing like a camera that never ends.

Why not loop the file inside the pipeline: seeking a filesrc ! qtdemux
pipeline from the media's bus handler (segment seeks) deadlocked
gst-rtsp-server 1.22 under CPU load (a streaming thread in the stream's caps
notify, the client thread in gst_rtsp_stream_remove_transport), and once its
one client thread hangs no new client gets an answer. Feeding an appsrc needs
no seek at all.

With RTSP_USER and RTSP_PASSWORD set (environment, so the password is not in
the process list), every mount requires RTSP basic auth.
PORT 0 picks a free port. Prints "READY <port>" on stdout once listening.
Exits on SIGTERM/SIGINT, or when stdin closes (the parent test process died),
so a crashed test never leaves a server behind.
Needs Debian's python3-gi and gir1.2-gst-rtsp-server-1.0 (run with /usr/bin/python3).
"""
import argparse
import collections
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# Before any pipeline is built.
Gst.init(None)

ROLE = "user"


Unit = collections.namedtuple("Unit", "data pts dts duration delta")


class Clip:
    """A file's H.264 access units with their timestamps, read once, then replayed forever."""

    def __init__(self, path):
        pipeline = Gst.parse_launch(
            'filesrc location="%s" ! qtdemux ! h264parse ! video/x-h264,stream-format=avc,alignment=au '
            "! appsink name=out sync=false" % path.replace("\\", "\\\\").replace('"', '\\"')
        )
        sink = pipeline.get_by_name("out")
        pipeline.set_state(Gst.State.PLAYING)
        self.units = []
        self.caps = None
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            self.caps = self.caps or sample.get_caps()
            b = sample.get_buffer()
            # Copied out: a Gst.Buffer from python is shared, not copied, so it is never pushed itself.
            self.units.append(Unit(b.extract_dup(0, b.get_size()), b.pts, b.dts, b.duration,
                                   b.has_flags(Gst.BufferFlags.DELTA_UNIT)))
        ok = not any(m.type == Gst.MessageType.ERROR for m in iter(lambda: pipeline.get_bus().pop(), None))
        pipeline.set_state(Gst.State.NULL)
        if not ok or not self.units or self.caps is None:
            raise SystemExit("rtsp_server: no H.264 video in %s" % path)
        first = self.units[0].pts
        last = self.units[-1]
        frame = last.duration if last.duration != Gst.CLOCK_TIME_NONE else Gst.SECOND // 10
        # One loop's length: the last frame's end (in presentation order) from the first's start.
        self.period = max(u.pts for u in self.units) - first + frame


class Feeder:
    """Feeds one client's appsrc: the clip's units in order, each loop shifted by one period."""

    def __init__(self, clip):
        self.clip = clip
        self.index = 0
        self.offset = 0

    def on_need_data(self, appsrc, _length):
        unit = self.clip.units[self.index]
        buf = Gst.Buffer.new_wrapped(unit.data)
        buf.pts = unit.pts + self.offset
        if unit.dts != Gst.CLOCK_TIME_NONE:
            buf.dts = unit.dts + self.offset
        buf.duration = unit.duration
        if unit.delta:
            buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
        appsrc.emit("push-buffer", buf)
        self.index += 1
        if self.index == len(self.clip.units):
            self.index = 0
            self.offset += self.clip.period


def make_factory(path, with_auth):
    if not os.path.isfile(path):
        raise SystemExit("rtsp_server: no such file: %s" % path)
    clip = Clip(path)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( appsrc name=src is-live=true format=time max-buffers=8 ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )
    factory.set_shared(False)

    def on_configure(_factory, media):
        appsrc = media.get_element().get_by_name("src")
        appsrc.set_property("caps", clip.caps)
        feeder = Feeder(clip)
        appsrc.connect("need-data", feeder.on_need_data)
        media._feeder = feeder  # lives as long as the media

    factory.connect("media-configure", on_configure)
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
