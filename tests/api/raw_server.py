"""A bare HTTP/1.1 server on 127.0.0.1 that records every request's exact bytes.

No framework in between, so a test sees what the client really put on the wire (request line,
headers, body), and can make the server misbehave the way networks do (close the connection
after reading the request, without answering).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

OK = {"errno": 0, "msg": "success", "data": {"status": 4}}


@dataclass
class Seen:
    """One request as received: the request line, the header block (raw), the body."""

    line: bytes
    head: bytes
    body: bytes

    def header(self, name: str) -> str | None:
        match = re.search(rb"(?im)^" + name.encode() + rb": *(.*?)\r$", self.head)
        return match.group(1).decode() if match else None

    def headers(self) -> dict[str, str]:
        lines = self.head.split(b"\r\n")[1:]
        pairs = (line.split(b":", 1) for line in lines if line)
        return {k.decode().lower(): v.strip().decode() for k, v in pairs}


@dataclass
class RawServer:
    """Where it listens, what it saw, and how it answers: `answer` (JSON, or a function of
    the request giving it); `drop`: close the connection after reading, never answer."""

    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    answer: object = field(default_factory=lambda: OK)
    drop: bool = False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                body = await reader.readexactly(int(length.group(1))) if length else b""
                self.seen.append(Seen(head.split(b"\r\n", 1)[0], head, body))
                if self.drop:
                    break
                answer = self.answer(self.seen[-1]) if callable(self.answer) else self.answer
                payload = json.dumps(answer).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(**options: object) -> AsyncIterator[RawServer]:
    server = RawServer(**options)  # type: ignore[arg-type]
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listening.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listening.close()
        await listening.wait_closed()
