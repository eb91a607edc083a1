#!/usr/bin/env python3
"""Prints "<Nats-Msg-Id> <arrival epoch seconds>" for every message published
on SUBJECT for SECONDS, speaking the NATS client protocol on 127.0.0.1:PORT
(no client library). scripts/bench.sh joins the ids with the outbox rows'
created_at: the relay publishes each event with its event_id as Nats-Msg-Id,
and a core subscriber sees a JetStream publish as the stream stores it.

usage: nats_arrivals.py PORT SUBJECT SECONDS
"""
import socket
import sys
import time


class Reader:
    """Lines and exact byte counts from a socket with a timeout."""

    def __init__(self, sock, deadline):
        self.sock, self.buf, self.deadline = sock, bytearray(), deadline

    def fill(self):
        while True:
            try:
                chunk = self.sock.recv(65536)
                break
            except (socket.timeout, TimeoutError):
                if time.time() >= self.deadline:
                    raise EOFError
        if not chunk:
            raise EOFError
        self.buf += chunk

    def line(self):
        while (i := self.buf.find(b"\r\n")) < 0:
            self.fill()
        out = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


def main() -> None:
    port, subject, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    sock = socket.create_connection(("127.0.0.1", port))
    deadline = time.time() + seconds
    reader = Reader(sock, deadline)
    reader.line()  # INFO
    sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n'
                 + f"SUB {subject} 1\r\nPING\r\n".encode())
    sock.settimeout(0.2)
    out = sys.stdout
    while time.time() < deadline:
        try:
            line = reader.line()
            if line.startswith(b"HMSG"):
                parts = line.split()
                header_len, total_len = int(parts[-2]), int(parts[-1])
                data = reader.exactly(total_len + 2)
                at = time.time()
                msg_id = ""
                for h in data[:header_len].decode(errors="replace").split("\r\n"):
                    if h.lower().startswith("nats-msg-id:"):
                        msg_id = h.split(":", 1)[1].strip()
                if msg_id:
                    out.write(f"{msg_id} {at:.6f}\n")
            elif line.startswith(b"MSG"):
                reader.exactly(int(line.split()[-1]) + 2)
            elif line.startswith(b"PING"):
                sock.sendall(b"PONG\r\n")
        except EOFError:
            break
    out.flush()


if __name__ == "__main__":
    main()
