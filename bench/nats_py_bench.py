"""nats-py's core publish throughput, the same measurement as nats-bench's `core` mode."""
import asyncio, sys, time
import nats

async def main(url, count, size):
    nc = await nats.connect(url, pending_size=256 * 1024 * 1024)
    payload = b"x" * size
    started = time.perf_counter()
    for _ in range(count):
        await nc.publish("bench.core", payload)
    await nc.flush(timeout=60)
    elapsed = time.perf_counter() - started
    print(f"{count / elapsed:.0f} msgs/s ({count} in {elapsed:.2f} s)")
    await nc.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
