"""An aiortc peer for the interop tests of rtcweb-peer, driven over stdin and stdout.

One JSON object per line each way: a command in, its reply out (``{"error": ...}`` when it
failed). Commands:

- ``{"cmd": "offer", "channel": true}``: a new connection with the 660 Hz tone track (and a
  data channel "echo" when ``channel``; with ``"video": true``, the moving video pattern
  instead of the tone); its offer, candidates gathered: ``{"sdp": ...}``.
- ``{"cmd": "answer", "sdp": ...}``: a new connection that takes the offer, adds the tone
  track (the video pattern with ``"video": true``) and answers: ``{"sdp": ...}``.
- ``{"cmd": "accept", "sdp": ...}``: applies the remote answer.
- ``{"cmd": "candidate", "candidate": "candidate:...", "mid": "0"}``: a trickled remote
  candidate; without ``candidate``, end-of-candidates.
- ``{"cmd": "stats"}``: what this side saw: connection state, data-channel messages echoed,
  audio frames received from the remote track and the frequency heard in them, video
  frames received (their size, and the spread of the last one's luma), and aiortc's own
  RTP stats.
- ``{"cmd": "close"}``: closes the connection and exits.

Every data-channel message, text or binary, is sent back on its channel as it came. The
process serves the tests only: aioice leaves loopback out of its host candidates, so here
127.0.0.1 is the one host address (the tests run in a network namespace holding only
``lo``).
"""

import array
import asyncio
import fractions
import json
import math
import sys
import time

import aioice.ice
import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

RATE = 48_000
FRAME = 960  # 20 ms
TONE_HZ = 660.0
TONE_AMPLITUDE = 12_000.0

# Loopback is the only address the tests use (aioice skips 127.0.0.1 otherwise).
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []


VIDEO_WIDTH = 320
VIDEO_HEIGHT = 240
VIDEO_RATE = 90_000
VIDEO_FPS = 30


class Pattern(MediaStreamTrack):
    """Moving video: grey bars and a dark box that slides across, 320x240 I420 at 30 frame/s,
    paced by the wall clock."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.start = None
        self.sent = 0
        self.bars = bytes(
            40 + 25 * (x * 8 // VIDEO_WIDTH) for x in range(VIDEO_WIDTH)
        )

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.start is None:
            self.start = time.monotonic()
        else:
            wait = self.start + self.n / VIDEO_FPS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = av.VideoFrame(VIDEO_WIDTH, VIDEO_HEIGHT, "yuv420p")
        x0 = (self.n * 6) % (VIDEO_WIDTH - 48)
        row_box = bytearray(self.bars)
        row_box[x0 : x0 + 48] = bytes(48)
        for i, plane in enumerate(frame.planes):
            width = VIDEO_WIDTH if i == 0 else VIDEO_WIDTH // 2
            height = VIDEO_HEIGHT if i == 0 else VIDEO_HEIGHT // 2
            pad = bytes(plane.line_size - width)
            if i == 0:
                rows = [
                    (row_box if 96 <= y < 144 else self.bars) + pad for y in range(height)
                ]
            else:
                rows = [bytes([128]) * width + pad] * height
            plane.update(b"".join(rows))
        frame.pts = self.n * (VIDEO_RATE // VIDEO_FPS)
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        self.n += 1
        self.sent += 1
        return frame


def luma_spread(frame) -> float:
    """The standard deviation of the luma of a decoded frame (every 4th sample)."""
    plane = frame.planes[0]
    data = bytes(plane)
    samples = [
        data[y * plane.line_size + x]
        for y in range(0, frame.height, 4)
        for x in range(0, frame.width, 4)
    ]
    mean = sum(samples) / len(samples)
    return math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples))


class Tone(MediaStreamTrack):
    """A sine tone: 48 kHz, s16, mono, 20 ms frames, paced by the wall clock."""

    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.frequency = frequency
        self.pts = 0
        self.start = None
        self.sent = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.start is None:
            self.start = time.monotonic()
        else:
            wait = self.start + self.pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        step = 2.0 * math.pi * self.frequency / RATE
        pcm = array.array(
            "h",
            (int(TONE_AMPLITUDE * math.sin(step * (self.pts + n))) for n in range(FRAME)),
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = RATE
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, RATE)
        self.pts += FRAME
        self.sent += 1
        return frame


def rms(samples) -> float:
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768.0


def goertzel(samples, frequency: float) -> float:
    w = 2.0 * math.pi * frequency / RATE
    c = 2.0 * math.cos(w)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2


def peak_frequency(samples) -> float:
    """The frequency from 100 Hz to 2 kHz with the most energy: 20 Hz steps, then 1 Hz."""
    if not samples:
        return 0.0
    coarse = max(range(100, 2001, 20), key=lambda f: goertzel(samples, f))
    return float(
        max(range(max(100, coarse - 20), coarse + 21), key=lambda f: goertzel(samples, f))
    )


class Peer:
    def __init__(self) -> None:
        self.pc = None
        self.tone = Tone(TONE_HZ)
        self.messages = 0
        self.message_bytes = 0
        self.channels = []
        # The remote audio: per frame (samples of the first channel, rms), and more.
        self.frames = []
        self.track_kind = None
        self.pattern = Pattern()
        self.video_frames = 0
        self.video_size = None
        self.video_spread = 0.0
        self.received_layout = None
        self.received_rate = None
        self.tasks = []

    def make(self) -> RTCPeerConnection:
        pc = RTCPeerConnection()

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            self.echo(channel)

        @pc.on("track")
        def on_track(track) -> None:
            self.track_kind = track.kind
            if track.kind == "audio":
                self.tasks.append(asyncio.ensure_future(self.listen(track)))
            else:
                self.tasks.append(asyncio.ensure_future(self.watch(track)))

        self.pc = pc
        return pc

    def echo(self, channel) -> None:
        self.channels.append(channel)

        @channel.on("message")
        def on_message(message) -> None:
            self.messages += 1
            self.message_bytes += len(message.encode() if isinstance(message, str) else message)
            channel.send(message)

    async def listen(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            channels = len(frame.layout.channels)
            self.received_layout = frame.layout.name
            self.received_rate = frame.sample_rate
            data = bytes(frame.planes[0])[: frame.samples * channels * 2]
            samples = array.array("h", data)[::channels]
            self.frames.append(samples)

    async def watch(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.video_frames += 1
            self.video_size = [frame.width, frame.height]
            if self.video_frames % 15 == 0:
                self.video_spread = luma_spread(frame)

    def media(self, command):
        return self.pattern if command.get("video") else self.tone

    async def offer(self, command) -> dict:
        pc = self.make()
        pc.addTrack(self.media(command))
        if command.get("channel"):
            self.echo(pc.createDataChannel("echo"))
        await pc.setLocalDescription(await pc.createOffer())
        return {"sdp": pc.localDescription.sdp}

    async def answer(self, command) -> dict:
        pc = self.make()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=command["sdp"], type="offer"))
        pc.addTrack(self.media(command))
        await pc.setLocalDescription(await pc.createAnswer())
        return {"sdp": pc.localDescription.sdp}

    async def accept(self, command) -> dict:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=command["sdp"], type="answer")
        )
        return {}

    async def candidate(self, command) -> dict:
        text = command.get("candidate")
        if not text:
            await self.pc.addIceCandidate(None)
            return {}
        text = text.removeprefix("a=").removeprefix("candidate:")
        candidate = candidate_from_sdp(text)
        candidate.sdpMid = command.get("mid")
        candidate.sdpMLineIndex = command.get("mline_index")
        await self.pc.addIceCandidate(candidate)
        return {}

    async def stats(self, _command) -> dict:
        loud = [f for f in self.frames if rms(f) > 0.05]
        heard = [s for f in loud for s in f]
        # 200 ms from the middle of what was loud, for the DFT (pure Python: kept short).
        middle = len(heard) // 2
        window = heard[max(0, middle - 4800) : middle + 4800]
        crossings = sum(1 for a, b in zip(heard, heard[1:]) if (a < 0) != (b < 0))
        report = await self.pc.getStats()
        inbound = {}
        video_inbound = {}
        outbound = {}
        transport = {}
        for s in report.values():
            if s.type == "inbound-rtp" and s.kind == "audio":
                inbound = {
                    "packetsReceived": s.packetsReceived,
                    "packetsLost": s.packetsLost,
                    "jitter": s.jitter,
                }
            elif s.type == "inbound-rtp" and s.kind == "video":
                video_inbound = {
                    "packetsReceived": s.packetsReceived,
                    "packetsLost": s.packetsLost,
                }
            elif s.type == "outbound-rtp" and s.kind == "audio":
                outbound = {"packetsSent": s.packetsSent, "bytesSent": s.bytesSent}
            elif s.type == "transport":
                transport = {
                    "packetsSent": s.packetsSent,
                    "packetsReceived": s.packetsReceived,
                    "dtlsState": s.dtlsState,
                }
        return {
            "connectionState": self.pc.connectionState,
            "iceConnectionState": self.pc.iceConnectionState,
            "messages": self.messages,
            "messageBytes": self.message_bytes,
            "channels": [c.label for c in self.channels],
            "trackKind": self.track_kind,
            "framesReceived": len(self.frames),
            "framesLoud": len(loud),
            "receivedLayout": self.received_layout,
            "receivedRate": self.received_rate,
            "rms": rms(heard),
            "zeroCrossingHz": crossings / 2.0 / (len(heard) / RATE) if heard else 0.0,
            "peakHz": peak_frequency(window),
            "toneFramesSent": self.tone.sent,
            "videoFramesSent": self.pattern.sent,
            "videoFramesReceived": self.video_frames,
            "videoSize": self.video_size,
            "videoLumaSpread": self.video_spread,
            "videoInbound": video_inbound,
            "inbound": inbound,
            "outbound": outbound,
            "transport": transport,
        }

    async def close(self, _command) -> dict:
        if self.pc is not None:
            await self.pc.close()
        for task in self.tasks:
            task.cancel()
        return {}


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    peer = Peer()
    handlers = {
        "offer": peer.offer,
        "answer": peer.answer,
        "accept": peer.accept,
        "candidate": peer.candidate,
        "stats": peer.stats,
        "close": peer.close,
    }
    while True:
        line = await reader.readline()
        if not line:
            await peer.close({})
            return
        command = json.loads(line)
        name = command.get("cmd")
        try:
            handler = handlers[name]
            reply = await handler(command)
        except Exception as e:  # reported to the test, which fails with it
            reply = {"error": f"{name}: {type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if name == "close":
            return


if __name__ == "__main__":
    asyncio.run(main())
