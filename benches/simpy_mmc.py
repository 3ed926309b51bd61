#!/usr/bin/env python3
"""The M/M/c workload of benches/engine.rs, in SimPy, for a side-by-side speed comparison.

Poisson arrivals at rate lambda, c identical servers, exponential service times, an unbounded
FIFO queue. Same parameters as the Rust bench: c = 4, mean service 10 ms, rho = 0.8
(lambda = 320/s). Prints one line: `simpy customers=<n> secs=<wall> customers_per_sec=<x>
mean_time_in_system_ms=<w>`.

Usage: python3 benches/simpy_mmc.py [customers]   (needs `pip install simpy`)
"""

import random
import sys
import time

import simpy

SERVERS = 4
MEAN_SERVICE = 0.010  # seconds
RHO = 0.8
LAMBDA = RHO * SERVERS / MEAN_SERVICE


def customer(env, server, stats):
    arrived = env.now
    with server.request() as req:
        yield req
        yield env.timeout(random.expovariate(1.0 / MEAN_SERVICE))
    stats[0] += 1
    stats[1] += env.now - arrived


def source(env, server, stats, limit):
    for _ in range(limit):
        yield env.timeout(random.expovariate(LAMBDA))
        env.process(customer(env, server, stats))


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    random.seed(42)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=SERVERS)
    stats = [0, 0.0]
    env.process(source(env, server, stats, customers))
    start = time.perf_counter()
    env.run()
    secs = time.perf_counter() - start
    done = stats[0]
    print(
        f"simpy customers={done} secs={secs:.3f} customers_per_sec={done / secs:.0f} "
        f"mean_time_in_system_ms={1000 * stats[1] / max(done, 1):.3f}"
    )


if __name__ == "__main__":
    main()
