// The list of requests in flight (ops/shutdown.ts), which every request enters and leaves, must not
// keep answered requests alive. It was a Map: churned by one entry per request, its discarded hash
// tables chain to each other in V8, so once a major GC had moved one to the old generation, every
// later request and response outlived the scavenges that should have freed it (measured: a fifth of
// the session check's throughput gone after the first major GC under load, for good). The test counts
// what a stream of answered requests leaves in the old generation after minor GCs: a few KiB with the
// list, megabytes with the Map.
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { InFlightRequests } from "../../../server/ops/shutdown.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;

/** A response as big as a small real one (its headers, its buffers), answered or not. */
function fakeExchange(i: number): { req: IncomingMessage; res: ServerResponse } {
  const res = Object.assign(new EventEmitter(), { payload: new Array(64).fill(i) });
  return { req: {} as IncomingMessage, res: res as unknown as ServerResponse };
}

const oldSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((space) => space.space_name === "old_space")!.space_used_size;

describe("requests in flight", () => {
  it("adds, removes and lists them (newest first), ignoring a response taken out twice", () => {
    const list = new InFlightRequests();
    const [a, b, c] = [fakeExchange(1), fakeExchange(2), fakeExchange(3)];
    for (const { req, res } of [a, b, c]) list.add(req, res);
    expect(list.size).toBe(3);
    list.remove(b.res);
    list.remove(b.res);
    expect(list.size).toBe(2);
    expect(list.entries().map(({ res }) => res)).toEqual([c.res, a.res]);
    list.remove(c.res);
    list.remove(a.res);
    expect(list.size).toBe(0);
    expect(list.entries()).toEqual([]);
  });

  it("answered requests do not survive minor GCs, also after a major GC moved the list to the old generation", () => {
    const list = new InFlightRequests();
    const open: ServerResponse[] = [];
    // 50 requests in flight at any time, as under load: each new one enters, the oldest leaves.
    const serve = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const { req, res } = fakeExchange(i);
        list.add(req, res);
        open.push(res);
        if (open.length > 50) list.remove(open.shift()!);
      }
    };
    serve(10_000);
    gc(); // a full, forced GC (with `{ type: "major" }` V8 happens not to move the table out of the young generation)
    const before = oldSpaceUsed();
    for (let round = 0; round < 20; round++) {
      serve(2_000);
      gc({ type: "minor" });
    }
    // 40,000 answered requests: with the Map, some 20 MiB of them were promoted (all of them).
    const grownKiB = (oldSpaceUsed() - before) / 1024;
    expect(grownKiB, `the old generation grew by ${Math.round(grownKiB)} KiB`).toBeLessThan(512);
    expect(list.size).toBe(50);
  });
});
