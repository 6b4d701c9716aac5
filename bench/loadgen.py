"""A small HTTP load generator: N concurrent clients POST JSON for a while; req/s, p50, p99, errors.

`tokens` is one API token or a list: client n sends tokens[n % len(tokens)], so each client can be
its own user, as each integration sending leads is (throttling keeps a history per user).

Each client keeps its connection while the server allows (gunicorn's sync workers close it after
every response, so clients reconnect then). Runs in its own process (`load_in_process`), so the
clients' Python never shares a core's time slice with the process that started the server.
"""

import asyncio
import json
import multiprocessing
import statistics
import time


async def _client(host, port, path, token, body_for, number, deadline, latencies, errors):
    reader = writer = None
    sent = 0
    while time.perf_counter() < deadline:
        body = json.dumps(body_for(number, sent)).encode()
        sent += 1
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors.append("connection")
            writer = None
            continue
        latencies.append(time.perf_counter() - started)
        if status >= 400:
            errors.append(status)
        if close:
            writer.close()
            writer = None


def load(host, port, path, tokens, body_for, *, clients, seconds, warmup=1.0) -> dict:
    """Run `clients` clients for `warmup` + `seconds` seconds; figures count only the last `seconds`."""

    tokens = [tokens] if isinstance(tokens, str) else tokens

    async def main():
        latencies, errors = [], []
        start = time.perf_counter()
        deadline = start + warmup + seconds
        tasks = [
            asyncio.create_task(
                _client(host, port, path, tokens[n % len(tokens)], body_for, n, deadline, latencies, errors)
            )
            for n in range(clients)
        ]
        await asyncio.sleep(warmup)
        latencies.clear()
        errors.clear()
        measured_from = time.perf_counter()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - measured_from
        return latencies, errors, elapsed

    latencies, errors, elapsed = asyncio.run(main())
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else float("nan"),
        "errors": len(errors),
        "error_kinds": sorted({str(e) for e in errors})[:5],
    }


def _run(queue, args, kwargs):
    queue.put(load(*args, **kwargs))


def load_in_process(*args, **kwargs) -> dict:
    """`load` in a fresh process (`body_for` must be a module-level function)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(queue, args, kwargs))
    process.start()
    result = queue.get()
    process.join()
    return result
