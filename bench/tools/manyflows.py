#!/usr/bin/env python3
"""manyflows.py SERVER_ADDR PORT N_CONN SRC_PREFIX - many concurrent TCP flows (memcap stress).

Starts an asyncio HTTP-ish server on SERVER_ADDR:PORT, then opens N_CONN client connections from
source addresses SRC_PREFIX.1 .. SRC_PREFIX.250 (round robin), each sending the first half of an
HTTP request and holding it; once all are open, every client sends the rest, the server answers
with a small response and both sides close.  So N_CONN flows are alive at the same time, each with
unfinished application data.  Bounded: fixed count, whole run under a 120 s deadline."""
import asyncio, resource, sys

ADDR, PORT, N, PREFIX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
BODY = b'ok\n'


async def handle(reader, writer):
    try:
        await reader.readuntil(b'\r\n\r\n')
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n' + BODY)
        await writer.drain()
    except Exception:
        pass
    writer.close()


async def client(i, go, opened):
    src = '%s.%d' % (PREFIX, 1 + i % 250)
    try:
        r, w = await asyncio.open_connection(ADDR, PORT, local_addr=(src, 0))
    except OSError:
        opened.append(False)
        return
    w.write(b'GET /item/%d HTTP/1.1\r\nHost: pacs.hospital.example\r\n' % i)
    await w.drain()
    opened.append(True)
    await go.wait()
    w.write(b'User-Agent: bench\r\n\r\n')
    try:
        await w.drain()
        await r.read()
    except Exception:
        pass
    w.close()


async def main():
    server = await asyncio.start_server(handle, ADDR, PORT, backlog=4096)
    go, opened, tasks = asyncio.Event(), [], []
    for i in range(N):
        tasks.append(asyncio.create_task(client(i, go, opened)))
        if i % 200 == 199:
            await asyncio.sleep(0.01)
    while len(opened) < N:
        await asyncio.sleep(0.05)
    print('opened %d of %d' % (sum(opened), N), flush=True)
    await asyncio.sleep(0.5)
    go.set()
    await asyncio.gather(*tasks)
    server.close()


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 2 * N + 1024   # client and server socket of every connection live in this process
if hard != resource.RLIM_INFINITY and hard < want:
    N = (hard - 1024) // 2
    print('file descriptor limit %d: only %d connections' % (hard, N), flush=True)
    want = hard
resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
asyncio.run(asyncio.wait_for(main(), 120))
