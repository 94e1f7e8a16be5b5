"""The other side of the interop test, with nats-py (a client no one here wrote).
Receives N messages from the Swift client, publishes 3 back, asks the Swift responder, and prints
a JSON summary."""
import asyncio, json, sys
import nats

async def main(url, expected):
    nc = await nats.connect(url)
    received = []
    done = asyncio.Event()

    async def handler(msg):
        received.append({"subject": msg.subject, "data": msg.data.decode(), "site": (msg.headers or {}).get("X-Site")})
        if len(received) == expected:
            done.set()

    await nc.subscribe("interop.from.swift", cb=handler)
    await nc.flush()
    print("ready", flush=True)
    await asyncio.wait_for(done.wait(), 10)
    for i in range(3):
        await nc.publish("interop.from.python", f"py-{i}".encode(), headers={"X-From": "python"})
    reply = await nc.request("interop.svc", b"ping", timeout=5)
    await nc.flush()
    print(json.dumps({"received": received, "reply": reply.data.decode()}), flush=True)
    await nc.drain()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
