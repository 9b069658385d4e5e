"""A download whose reading fails midway ends as an error the client sees (a reset connection),
never as a shorter file that looks complete; export_data --output never leaves a partial file."""

import io
import socket

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from evaluations.exports import streams
from evaluations.exports.delivery import failing_loudly

pytestmark = pytest.mark.django_db


@pytest.fixture
def tcp_pair():
    """A connected loopback TCP pair: (the server's socket, as gunicorn holds it; the client's)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    client.settimeout(5)
    yield server, client
    server.close()
    client.close()


def _read_all(client: socket.socket) -> bytes:
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def _fails_after_one_row(dataset: str, monkeypatch) -> None:
    rows = streams.ROWS[dataset]

    def failing(filters):
        yield from list(rows(filters))[:1]
        raise DatabaseError("canceling statement due to statement timeout\nDETAIL: more")

    monkeypatch.setitem(streams.ROWS, dataset, failing)
    monkeypatch.setattr(streams, "BLOCK_ROWS", 1)  # the first row leaves before the failure


def _serve(response, server: socket.socket) -> None:
    """What the WSGI server does with the pieces: send each, until the iterator raises."""
    for piece in response.streaming_content:
        server.sendall(piece)


def test_a_failure_midway_resets_the_connection(tcp_pair):
    server, client = tcp_pair

    def pieces():
        yield b"year,department_code\n"
        raise DatabaseError("the query failed")

    with pytest.raises(DatabaseError):
        for piece in failing_loudly(pieces(), {"gunicorn.socket": server}):
            server.sendall(piece)
    with pytest.raises(ConnectionResetError):  # not a clean end of file after the header
        _read_all(client)


@pytest.mark.parametrize("url", ["/data/2022/departments.csv", "/exports/departments.csv"])
def test_public_and_auditor_csv_end_as_an_error(url, client, sample_report, auditor, tcp_pair, monkeypatch):
    server, peer = tcp_pair
    client.force_login(auditor)
    _fails_after_one_row("departments", monkeypatch)
    response = client.get(url, **{"gunicorn.socket": server})
    assert response.status_code == 200  # the header is on its way before the rows fail
    with pytest.raises(DatabaseError):
        _serve(response, server)
    with pytest.raises(ConnectionResetError):
        _read_all(peer)


def test_export_output_keeps_the_old_file_when_reading_fails(sample_report, tmp_path, monkeypatch):
    target = tmp_path / "departments.csv"
    target.write_bytes(b"the previous export\n")
    _fails_after_one_row("departments", monkeypatch)
    with pytest.raises(CommandError) as raised:
        call_command("export_data", "departments", "--output", str(target))
    assert str(raised.value) == "canceling statement due to statement timeout"  # one line
    assert target.read_bytes() == b"the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["departments.csv"]  # no temporary file left


def test_export_output_replaces_the_file_when_done(sample_report, tmp_path):
    target = tmp_path / "departments.csv"
    target.write_bytes(b"the previous export\n")
    call_command("export_data", "departments", "--header", "keys", "--output", str(target))
    out = io.StringIO()
    call_command("export_data", "departments", "--header", "keys", stdout=out)
    assert target.read_bytes().decode() == out.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["departments.csv"]


def test_export_to_standard_output_fails_with_one_line(sample_report, monkeypatch):
    _fails_after_one_row("departments", monkeypatch)
    with pytest.raises(CommandError, match=r"^canceling statement due to statement timeout$"):
        call_command("export_data", "departments", stdout=io.StringIO())


def test_export_output_into_a_missing_directory_is_one_line(sample_report, tmp_path):
    with pytest.raises(CommandError, match=r"/no/x.csv: No such file or directory$"):
        call_command("export_data", "departments", "--output", str(tmp_path / "no" / "x.csv"))


def test_export_output_keeps_the_permissions_open_would_give(sample_report, tmp_path):
    import os

    fresh = tmp_path / "fresh.csv"
    call_command("export_data", "departments", "--output", str(fresh))
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    kept = tmp_path / "kept.csv"
    kept.write_bytes(b"")
    kept.chmod(0o640)
    call_command("export_data", "departments", "--output", str(kept))
    assert kept.stat().st_mode & 0o777 == 0o640


def test_export_output_through_a_link_or_into_a_pipe(sample_report, tmp_path):
    import os
    import threading

    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    call_command("export_data", "departments", "--header", "keys", "--output", str(link))
    assert link.is_symlink() and real.read_bytes().startswith(b"code,")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # like /dev/null: not a file to rename over
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    call_command("export_data", "departments", "--header", "keys", "--output", str(pipe))
    reader.join(10)
    assert received == [real.read_bytes()]
    assert not pipe.is_file() and sorted(p.name for p in tmp_path.iterdir()) == [
        "link.csv", "pipe", "real.csv",
    ]
