#!/usr/bin/env python3
"""Puts N dead letters into DLQ_EVENTS as a consumer's DeadLetterQueue does
(JetStreamDeadLetterQueue::Put in src/adapters/nats/jetstream.cpp): subject
dlq.<consumer>.<original subject>, the Giia-* headers, Nats-Msg-Id
"dlq:<consumer>:<stream>:<sequence>", the event as payload. Speaks the NATS
client protocol on 127.0.0.1:PORT (no client library): HPUB with a reply
inbox is a JetStream publish, and the stream's acknowledgement comes back on
that inbox. Returns once JetStream acknowledged every letter, so a replay
timed next finds them all.

usage: nats_dead_letters.py PORT N CONSUMER ORIGINAL_SUBJECT
"""
import datetime
import json
import socket
import sys
import uuid

WINDOW = 1000  # letters published and not yet acknowledged, at most


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, bytearray()

    def line(self):
        while (i := self.buf.find(b"\r\n")) < 0:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("NATS closed the connection")
            self.buf += chunk
        out = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("NATS closed the connection")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


def letter(i, consumer, original, failed_at):
    event_id = str(uuid.uuid4())
    event = {
        "specversion": "1.0", "id": event_id, "source": "giia/catalog",
        "type": original.split(".", 1)[1], "subject": f"dlq-bench-{i}",
        "time": failed_at, "datacontenttype": "application/json",
        "data": {"product_id": f"dlq-bench-{i}", "sku": f"SKU-{i:06d}", "name": "bench product"},
    }
    headers = [
        ("Nats-Msg-Id", f"dlq:{consumer}:CATALOG_EVENTS:{i}"),
        ("Giia-Original-Subject", original),
        ("Giia-Original-Stream", "CATALOG_EVENTS"),
        ("Giia-Original-Sequence", str(i)),
        ("Giia-Consumer", consumer),
        ("Giia-Attempts", "3"),
        ("Giia-Last-Error", "bench: handler refused"),
        ("Giia-Failed-At", failed_at),
        ("Giia-Event-Type", event["type"]),
        ("Giia-Event-Id", event_id),
        ("Giia-Organization", "33333333-3333-4333-8333-333333333333"),
        ("Giia-Replay-Count", "0"),
    ]
    head = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode(), json.dumps(event).encode()


def main() -> None:
    port, n, consumer, original = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    subject = f"dlq.{consumer}.{original}"
    failed_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(30)
    reader = Reader(sock)
    reader.line()  # INFO
    inbox = f"_INBOX.{uuid.uuid4().hex}"
    sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n'
                 + f"SUB {inbox}.* 1\r\nPING\r\n".encode())
    while reader.line() != b"PONG":
        pass
    sent = acked = 0
    while acked < n:
        out = bytearray()
        while sent < n and sent - acked < WINDOW:
            head, body = letter(sent + 1, consumer, original, failed_at)
            out += (f"HPUB {subject} {inbox}.{sent} {len(head)} {len(head) + len(body)}\r\n"
                    .encode() + head + body + b"\r\n")
            sent += 1
        if out:
            sock.sendall(out)
        line = reader.line()
        if line.startswith(b"MSG"):
            reply = json.loads(reader.exactly(int(line.split()[-1]) + 2)[:-2])
            if "error" in reply:
                sys.exit(f"JetStream refused a dead letter: {reply['error']}")
            acked += 1
        elif line.startswith(b"HMSG"):  # a status reply such as 503 (no stream)
            reader.exactly(int(line.split()[-1]) + 2)
            sys.exit(f"no stream stores {subject} (a status reply instead of an ack)")
        elif line.startswith(b"PING"):
            sock.sendall(b"PONG\r\n")
        elif line.startswith(b"-ERR"):
            sys.exit(line.decode())
    print(acked)


if __name__ == "__main__":
    main()
