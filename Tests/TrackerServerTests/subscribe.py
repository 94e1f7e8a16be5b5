"""A nats-py subscriber for the publishing test: prints the first N events of a subject as JSON lines."""
import asyncio, json, sys
import nats

async def main(url, subject, count):
    nc = await nats.connect(url)
    sub = await nc.subscribe(subject)
    await nc.flush()
    print("ready", flush=True)
    for _ in range(count):
        msg = await sub.next_msg(timeout=10)
        print(json.dumps({"subject": msg.subject, "event": json.loads(msg.data)}), flush=True)
    await nc.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
