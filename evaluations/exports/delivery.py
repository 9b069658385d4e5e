"""How a streamed file ends when reading it fails midway: as an error the client sees, never
as a shorter file that looks complete (issue 15, item 10)."""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
from collections.abc import Iterator, Mapping
from urllib.parse import quote

logger = logging.getLogger(__name__)

_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


def failing_loudly(pieces: Iterator[bytes], environ: Mapping) -> Iterator[bytes]:
    """The pieces of a download; an error raised while reading them resets the connection.

    Raising alone is not enough: gunicorn then closes the socket gracefully (FIN). A chunked
    HTTP/1.1 response still lacks its last chunk, an error to the client; but an HTTP/1.0
    response, or one behind a proxy that speaks HTTP/1.0 upstream, ends where the connection
    ends, so the file would look complete. Closing gunicorn's socket with SO_LINGER 0 first
    sends RST, which every client and proxy reports as an error. Other servers get the
    exception only. A client that leaves early closes this generator, which closes ``pieces``.
    """
    try:
        yield from pieces
    except Exception as error:
        logger.warning("download cut off: %s", (str(error).splitlines() or [repr(error)])[0])
        sock = environ.get("gunicorn.socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
                sock.close()
        raise


def attachment(ascii_name: str, name: str) -> str:
    """A Content-Disposition naming the file in the reader's language (RFC 6266 ``filename*``),
    with the ASCII name for clients that read only ``filename`` (issue 14.8)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
