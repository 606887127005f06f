"""aiortc as a NAT-lab peer: the lab's line protocol (rtcweb_lab::agent) on stdin and stdout.

One JSON command per line in, one JSON reply per line out (``{"error": ...}`` when it
failed). aiortc gathers every candidate before a description is returned, so its candidates
travel in the SDP and the ``candidates`` lists are empty. It sends a 660 Hz tone once
connected and echoes every data-channel message.
"""

import array
import asyncio
import fractions
import json
import math
import sys
import time

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

RATE = 48_000
FRAME = 960  # 20 ms
TONE_HZ = 660.0


class Tone(MediaStreamTrack):
    """A sine tone: 48 kHz, s16, mono, 20 ms frames, paced by the wall clock."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.pts = 0
        self.start = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.start is None:
            self.start = time.monotonic()
        else:
            wait = self.start + self.pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        step = 2.0 * math.pi * TONE_HZ / RATE
        pcm = array.array("h", (int(10_000 * math.sin(step * (self.pts + n))) for n in range(FRAME)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = RATE
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, RATE)
        self.pts += FRAME
        return frame


class Peer:
    def __init__(self) -> None:
        self.pc = None
        self.channel = None
        self.remote_applied = None
        self.settled_after = None
        self.frames = 0
        self.crossings = 0
        self.samples = 0
        self.tasks = []

    def configure(self, command) -> dict:
        servers = [
            RTCIceServer(
                urls=s["urls"], username=s.get("username"), credential=s.get("credential")
            )
            for s in command.get("ice_servers", [])
        ]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            @channel.on("message")
            def on_message(message) -> None:
                channel.send(message)

        @pc.on("track")
        def on_track(track) -> None:
            if track.kind == "audio":
                self.tasks.append(asyncio.ensure_future(self.listen(track)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState in ("connected", "failed") and self.settled_after is None:
                self.settled_after = (time.monotonic() - (self.remote_applied or 0)) * 1e3

        pc.addTrack(Tone())
        self.pc = pc
        return {}

    async def listen(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            channels = len(frame.layout.channels)
            data = bytes(frame.planes[0])[: frame.samples * channels * 2]
            samples = array.array("h", data)[::channels]
            self.frames += 1
            self.crossings += sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
            self.samples += len(samples)

    async def remote(self, kind, command) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=command["sdp"], type=kind))
        self.remote_applied = time.monotonic()
        for c in command.get("candidates", []):
            text = c["candidate"].removeprefix("a=").removeprefix("candidate:")
            candidate = candidate_from_sdp(text)
            candidate.sdpMid = c.get("mid")
            await self.pc.addIceCandidate(candidate)
        await self.pc.addIceCandidate(None)

    async def offer(self, _command) -> dict:
        self.channel = self.pc.createDataChannel("echo")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"sdp": self.pc.localDescription.sdp, "candidates": []}

    async def answer(self, command) -> dict:
        await self.remote("offer", command)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return {"sdp": self.pc.localDescription.sdp, "candidates": []}

    async def accept(self, command) -> dict:
        await self.remote("answer", command)
        return {}

    async def connected(self, command) -> dict:
        deadline = time.monotonic() + command.get("timeout_ms", 30_000) / 1e3
        while self.pc.connectionState not in ("connected", "failed"):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.01)
        pair = None
        for transceiver in self.pc.getTransceivers() + [None]:
            transport = (
                transceiver.sender.transport if transceiver else self.pc.sctp and self.pc.sctp.transport
            )
            if transport is None:
                continue
            ice = transport.transport
            connection = ice._connection
            nominated = getattr(connection, "_nominated", {})
            for p in nominated.values():
                d = lambda c: f"{c.type} {c.transport.lower()} {c.host}:{c.port}"
                pair = {"local": d(p.local_candidate), "remote": d(p.remote_candidate)}
            if pair:
                break
        connected = self.pc.connectionState == "connected"
        return {
            "connected": connected,
            "ms": self.settled_after,
            "state": self.pc.connectionState,
            "failure": None if connected else f"connectionState {self.pc.connectionState}",
            "pair": pair,
        }

    async def ping(self, command) -> dict:
        channel = self.channel
        # aiortc's SCTP retransmits its handshake on a timer of 1 s doubling: two aiortc
        # peers through symmetric NATs and 10 % loss needed over 10 s in one CI run.
        deadline = time.monotonic() + 30
        while channel.readyState != "open":
            if time.monotonic() > deadline:
                raise RuntimeError("the channel did not open in 30 s")
            await asyncio.sleep(0.01)
        rtts = []
        for i in range(command.get("count", 10)):
            text = f"ping {i}"
            back = asyncio.get_running_loop().create_future()
            channel.remove_all_listeners("message")
            channel.on("message", lambda m, back=back: back.done() or back.set_result(m))
            sent = time.monotonic()
            channel.send(text)
            m = await asyncio.wait_for(back, 10)
            if m != text:
                raise RuntimeError(f"{text} came back altered")
            rtts.append((time.monotonic() - sent) * 1e3)
        rtts.sort()
        return {"echoed": len(rtts), "rtt_ms": rtts[len(rtts) // 2]}

    async def audio(self, _command) -> dict:
        hz = self.crossings / 2.0 / (self.samples / RATE) if self.samples else 0.0
        return {"frames": self.frames, "concealed": 0, "hz": hz}

    async def stats(self, _command) -> dict:
        return {k: str(v) for k, v in (await self.pc.getStats()).items()}

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
    while True:
        line = await reader.readline()
        if not line:
            await peer.close({})
            return
        command = json.loads(line)
        name = command.get("cmd")
        try:
            handler = getattr(peer, name)
            reply = handler(command)
            if asyncio.iscoroutine(reply):
                reply = await reply
        except Exception as e:  # reported to the test, which fails with it
            reply = {"error": f"{name}: {type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if name == "close":
            return


if __name__ == "__main__":
    asyncio.run(main())
