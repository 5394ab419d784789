// Cluster interop scenario: two servers A and B implementing the CLUSTER
// FIXTURE CONTRACT (README.md) share one Redis; official socket.io-client
// 4.8.4 clients connected to both check every cluster operation, invoked on
// one server and observed on clients of both, in both directions (A→B, B→A).
// Then (classic adapter only) a Node @socket.io/redis-emitter drives both.
//
// Env:
//   URL_A, URL_B    base URLs of the two servers (http://127.0.0.1:<port>)
//   REDIS_URL       for the emitter rows, default redis://127.0.0.1:6379
//   REDIS_PREFIX    the prefix both servers use (checked against op "info")
//   ADAPTER         "classic" | "sharded" (checked against op "info"); the
//                   emitter rows run only for classic
//   CLUSTER_SCENARIO_TIMEOUT_MS   global hard timeout, default 60000
//   ONLY            optional substring filter on row names (debugging)
//
// Prints one line per row ("ok   <row> [A→B]"), exits 0 on success, 1 with
// "FAIL <row>: step ..." and the error otherwise.

import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { io } from "socket.io-client";
import { createClient } from "redis";
import { Emitter } from "@socket.io/redis-emitter";

const HARD_TIMEOUT_MS = Number(process.env.CLUSTER_SCENARIO_TIMEOUT_MS || 60000);
const WAIT_MS = 10000; // bound for an event that must arrive
const ABSENCE_MS = 300; // bound for checking that something does not arrive
const URLS = { A: process.env.URL_A, B: process.env.URL_B };
const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const REDIS_PREFIX = process.env.REDIS_PREFIX;
const ADAPTER = process.env.ADAPTER || "classic";
const ONLY = process.env.ONLY || "";

const started = Date.now();
const tracked = new Set(); // client sockets to close at the end
let emitterRedis = null;
let currentRow = "(start)";
let currentStep = "(start)";
let finished = false;

const verbose = !!process.env.VERBOSE;
const log = (...args) => {
  if (verbose) console.log(`[+${String(Date.now() - started).padStart(5)}ms]`, ...args);
};
function step(desc) {
  currentStep = desc;
  log("step:", desc);
}

function closeAll() {
  for (const s of tracked) {
    try {
      s.disconnect();
      s.io._close();
    } catch {
      // best effort
    }
  }
  tracked.clear();
  if (emitterRedis) {
    const c = emitterRedis;
    emitterRedis = null;
    c.quit().catch(() => c.disconnect().catch(() => {}));
  }
}

function fail(err) {
  if (finished) return;
  finished = true;
  clearTimeout(hardTimer);
  console.error(`FAIL ${currentRow}: step "${currentStep}"`);
  console.error(err && err.stack ? err.stack : String(err));
  closeAll();
  process.exit(1);
}

const hardTimer = setTimeout(
  () => fail(new Error(`hard timeout: scenario did not finish within ${HARD_TIMEOUT_MS} ms`)),
  HARD_TIMEOUT_MS,
);
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

// ---- generic helpers -------------------------------------------------------------

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls cond() (async) until it returns truthy; bounded. */
async function until(desc, cond, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await cond();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${desc}`);
    await delay(20);
  }
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const bin = (bytes) => ({ $bin: b64(bytes) });
const byJSON = (a, b) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
const sortJSON = (l) => [...l].sort(byJSON);
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// ---- clients ---------------------------------------------------------------------------

/**
 * A client socket with a log of every event it receives (onAny) and of its
 * disconnect reasons. Answers "ask" (payload, ack) with {name, tag} (plus
 * bin: Buffer(name) if payload.wantBin) unless payload.silent === its name.
 */
class Client {
  constructor(server, name, rooms, transports) {
    this.server = server;
    this.name = name;
    this.authRooms = rooms;
    this.events = []; // {event, args}
    this.disconnects = []; // reasons
    this.waiters = new Set();
    this.socket = io(URLS[server], {
      forceNew: true,
      reconnection: false,
      transports,
      auth: { name, rooms },
    });
    tracked.add(this.socket);
    this.socket.onAny((event, ...args) => {
      if (typeof args[args.length - 1] === "function") args = args.slice(0, -1);
      this.events.push({ event, args });
      this.notify();
    });
    this.socket.on("ask", (payload, ack) => {
      if (payload && payload.silent === this.name) return;
      const answer = { name: this.name, tag: payload?.tag ?? null };
      if (payload?.wantBin) answer.bin = Buffer.from(this.name);
      ack(answer);
    });
    this.socket.on("disconnect", (reason) => {
      this.disconnects.push(reason);
      this.notify();
    });
  }

  get id() {
    return this.socket.id;
  }

  notify() {
    for (const w of [...this.waiters]) {
      if (w.check()) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  waitUntil(desc, check, ms = WAIT_MS) {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { check, resolve };
      w.timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${this.name} (${this.server}): timed out after ${ms} ms waiting for ${desc}`));
      }, ms);
      this.waiters.add(w);
    });
  }

  got(event) {
    return this.events.filter((e) => e.event === event).map((e) => e.args);
  }

  waitEvent(event, n = 1, ms = WAIT_MS) {
    return this.waitUntil(`${n} "${event}" event(s), got ${this.got(event).length}`, () => this.got(event).length >= n, ms).then(
      () => this.got(event),
    );
  }

  waitDisconnect(ms = WAIT_MS) {
    return this.waitUntil("disconnect", () => this.disconnects.length > 0, ms).then(() => this.disconnects[0]);
  }

  connect(ms = WAIT_MS) {
    const s = this.socket;
    if (s.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        s.off("connect", onConnect);
        s.off("connect_error", onError);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: timed out after ${ms} ms waiting for connect to ${this.server}`));
      }, ms);
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onError = (err) => {
        cleanup();
        reject(new Error(`${this.name}: connect_error ${err.message}`));
      };
      s.on("connect", onConnect);
      s.on("connect_error", onError);
    });
  }

  async rooms() {
    return await this.socket.timeout(WAIT_MS).emitWithAck("rooms");
  }

  /** What fetchSockets must report for this client. */
  expectedFetch(serverName, extraRooms = []) {
    return {
      id: this.id,
      rooms: [this.id, ...this.authRooms, ...extraRooms].sort(),
      data: { name: this.name, server: serverName },
      auth: { name: this.name, rooms: this.authRooms },
    };
  }

  close() {
    this.socket.disconnect();
    this.socket.io._close();
    tracked.delete(this.socket);
  }
}

// ---- the scenario -------------------------------------------------------------------------

const S = {}; // per server label: {c1, c2, name}
const other = (X) => (X === "A" ? "B" : "A");
let uniq = 0;
const fresh = (base) => `${base}-${++uniq}`;

/** Calls op `name` on server X through its c1 socket; resolves with the ack value. */
async function op(X, name, params = {}, ms = 15000) {
  const res = await S[X].c1.socket.timeout(ms).emitWithAck("op", name, params);
  return res;
}

const mains = () => [S.A.c1, S.A.c2, S.B.c1, S.B.c2];

/**
 * Barrier: each publisher in `from` (a server label, or null for the emitter
 * with `publish` given) broadcasts a unique "barrier" event to everybody; once
 * every client in `clients` got all of them, everything those publishers sent
 * before has been delivered. Then a bounded absence wait of ABSENCE_MS.
 */
async function barrier(from, clients = mains(), publish) {
  const publishers = Array.isArray(from) ? from : [from];
  const keys = [];
  for (const X of publishers) {
    const k = fresh("barrier");
    keys.push(k);
    if (publish) await publish(k);
    else assert.equal(await op(X, "emit", { event: "barrier", args: [k] }), true);
  }
  await Promise.all(
    clients.flatMap((c) =>
      keys.map((k) => c.waitUntil(`barrier ${k}`, () => c.got("barrier").some((a) => a[0] === k))),
    ),
  );
  await delay(ABSENCE_MS);
}

/** Asserts that each client got `event` exactly as listed in expect (name -> list of arg arrays). */
function assertReceived(event, expect, clients = mains()) {
  for (const c of clients) {
    const want = expect[c.name] ?? [];
    assert.deepEqual(c.got(event), want, `${c.name} (${c.server}) received ${JSON.stringify(c.got(event))} for "${event}", want ${JSON.stringify(want)}`);
  }
}

/**
 * Runs several emits, each {from, rooms, except, args, to: [clients]} with
 * its own event name, in order; then checks that exactly the `to` clients got
 * each one, once, with exactly args (one barrier for the whole batch).
 */
async function emitCheck(cases) {
  const events = [];
  for (const c of cases) {
    const event = fresh(`ev-${c.from}`);
    events.push(event);
    step(`emit on ${c.from} rooms=${JSON.stringify(c.rooms ?? [])} except=${JSON.stringify(c.except ?? [])} -> ${c.to.map((x) => x.name).join(",") || "nobody"}`);
    assert.equal(await op(c.from, "emit", { rooms: c.rooms ?? [], except: c.except ?? [], event, args: c.args }), true);
  }
  step("wait for the receivers, then the barrier");
  await Promise.all(cases.flatMap((c, i) => c.to.map((r) => r.waitEvent(events[i]))));
  await barrier([...new Set(cases.map((c) => c.from))]);
  cases.forEach((c, i) => {
    const expect = {};
    for (const r of c.to) expect[r.name] = [c.args];
    assertReceived(events[i], expect);
  });
}

function assertNoUnexpectedDisconnect() {
  for (const c of mains()) {
    assert.deepEqual(c.disconnects, [], `${c.name} (${c.server}) was disconnected: ${c.disconnects}`);
    assert.ok(c.socket.connected, `${c.name} (${c.server}) is not connected`);
  }
}

const rows = [];
const row = (name, fn, opts = {}) => rows.push({ name, fn, ...opts });

// 1. broadcast to all
row("broadcast to all", async (X, Y) => {
  const args = ["hello", 42, -7, 1.5, true, false, null, "ünï€😀\u2028", { nested: { a: [1, null, "x"], b: {} } }, []];
  await emitCheck([{ from: X, args, to: mains() }]);
});

// 2. broadcast to one room (room on both servers, room only on the other server, a socket id of the other server)
row("broadcast to a room", async (X, Y) => {
  await emitCheck([
    // r1 has members on both servers
    { from: X, rooms: ["r1"], args: ["r1", { n: 1 }], to: [S.A.c1, S.B.c1] },
    // a room that exists only on the other server
    { from: X, rooms: [`on-${Y}`], args: ["only-other"], to: [S[Y].c1, S[Y].c2] },
    // the socket id of a client of the other server
    { from: X, rooms: [S[Y].c2.id], args: ["private", 7], to: [S[Y].c2] },
    // a room that exists only on the invoking server
    { from: X, rooms: [`on-${X}`], args: ["only-local"], to: [S[X].c1, S[X].c2] },
  ]);
});

// 3. several rooms and except
row("broadcast to rooms with except", async (X, Y) => {
  await emitCheck([
    { from: X, rooms: ["r1", "r2"], except: [`on-${Y}`], args: ["multi-except"], to: [S[X].c1, S[X].c2] },
    { from: X, rooms: ["on-A", "on-B"], except: ["r1"], args: ["x"], to: [S.A.c2, S.B.c2] },
    { from: X, except: ["r2"], args: [{ k: "all-but-r2" }], to: [S.A.c1, S.B.c1] },
    // one room (room-suffixed channel) with an except of the other server's socket id
    { from: X, rooms: ["r2"], except: [S[Y].c2.id], args: [], to: [S[X].c2] },
    // except a room only the invoking server has
    { from: X, rooms: ["r1"], except: [`on-${X}`], args: ["r1-remote-only"], to: [S[Y].c1] },
  ]);
});

// 4. binary payload
row("binary payload", async (X, Y) => {
  const event = fresh(`bin-${X}`);
  const args = ["bin", bin([1, 2, 3, 4]), { nested: bin([0xff]), list: [bin([0, 0xfe, 0x80]), "text"] }];
  assert.equal(await op(X, "emit", { event, args }), true);
  await Promise.all(mains().map((c) => c.waitEvent(event)));
  await barrier(X);
  for (const c of mains()) {
    const got = c.got(event);
    assert.equal(got.length, 1, `${c.name} got ${got.length} "${event}"`);
    const [a0, a1, a2] = got[0];
    assert.equal(got[0].length, 3);
    assert.equal(a0, "bin");
    assert.ok(Buffer.isBuffer(a1), `${c.name}: arg 1 is not a Buffer: ${JSON.stringify(a1)}`);
    assert.deepEqual([...a1], [1, 2, 3, 4]);
    assert.deepEqual(Object.keys(a2).sort(), ["list", "nested"]);
    assert.ok(Buffer.isBuffer(a2.nested), `${c.name}: nested is not a Buffer`);
    assert.deepEqual([...a2.nested], [0xff]);
    assert.equal(a2.list.length, 2);
    assert.ok(Buffer.isBuffer(a2.list[0]), `${c.name}: list[0] is not a Buffer`);
    assert.deepEqual([...a2.list[0]], [0, 0xfe, 0x80]);
    assert.equal(a2.list[1], "text");
  }
});

// 5. broadcast with acks, every client answers
row("broadcast with acks (all answer)", async (X, Y) => {
  step("to all");
  let tag = fresh("ack");
  let res = await op(X, "emitWithAck", { timeoutMs: 10000, event: "ask", args: [{ tag, silent: null }] });
  assert.deepEqual(res, {
    error: null,
    responses: sortJSON(mains().map((c) => ({ name: c.name, tag }))),
  });
  step("to room r2 (one client per server), binary in the acks");
  tag = fresh("ack");
  res = await op(X, "emitWithAck", { rooms: ["r2"], timeoutMs: 10000, event: "ask", args: [{ tag, wantBin: true }] });
  assert.deepEqual(res, {
    error: null,
    responses: sortJSON([S.A.c2, S.B.c2].map((c) => ({ name: c.name, tag, bin: bin(Buffer.from(c.name)) }))),
  });
  step(`to on-${Y} except r1 (clients only on ${Y})`);
  tag = fresh("ack");
  res = await op(X, "emitWithAck", { rooms: [`on-${Y}`], except: ["r1"], timeoutMs: 10000, event: "ask", args: [{ tag }] });
  assert.deepEqual(res, { error: null, responses: [{ name: S[Y].c2.name, tag }] });
  step("to a room nobody is in");
  res = await op(X, "emitWithAck", { rooms: ["nobody-here"], timeoutMs: 10000, event: "ask", args: [{ tag }] });
  assert.deepEqual(res, { error: null, responses: [] });
});

// 6. broadcast with acks, one client on the other server never answers
row("broadcast with acks (timeout)", async (X, Y) => {
  const tag = fresh("ack");
  const silent = S[Y].c1;
  const t0 = Date.now();
  const res = await op(X, "emitWithAck", { timeoutMs: 1500, event: "ask", args: [{ tag, silent: silent.name }] });
  const elapsed = Date.now() - t0;
  assert.deepEqual(res, {
    error: "operation has timed out",
    responses: sortJSON(mains().filter((c) => c !== silent).map((c) => ({ name: c.name, tag }))),
  });
  assert.ok(elapsed >= 1400, `timed out too early: ${elapsed} ms`);
  // the silent client did get the event
  assert.ok(silent.got("ask").some((a) => a[0]?.tag === tag), "the silent client never got the event");
});

// 7. fetchSockets
row("fetchSockets", async (X, Y) => {
  const names = { A: S.A.name, B: S.B.name };
  const all = mains().map((c) => c.expectedFetch(names[c.server])).sort(byId);
  step("all sockets");
  assert.deepEqual(await op(X, "fetchSockets", {}), all);
  step("room r2");
  assert.deepEqual(
    await op(X, "fetchSockets", { rooms: ["r2"] }),
    [S.A.c2, S.B.c2].map((c) => c.expectedFetch(names[c.server])).sort(byId),
  );
  step(`room on-${Y} except r1`);
  assert.deepEqual(await op(X, "fetchSockets", { rooms: [`on-${Y}`], except: ["r1"] }), [
    S[Y].c2.expectedFetch(names[Y]),
  ]);
  step(`socket id of ${Y}.c1`);
  assert.deepEqual(await op(X, "fetchSockets", { rooms: [S[Y].c1.id] }), [S[Y].c1.expectedFetch(names[Y])]);
  step("nobody");
  assert.deepEqual(await op(X, "fetchSockets", { rooms: ["nobody-here"] }), []);
});

// 8. socketsJoin / socketsLeave
row("socketsJoin / socketsLeave", async (X, Y) => {
  const J = `joined-by-${X}`;
  const J2 = `joined2-by-${X}`;
  const names = { A: S.A.name, B: S.B.name };
  const roomsOf = (c, extra = []) => [c.id, ...c.authRooms, ...extra].sort();

  step(`socketsJoin r1 -> ${J}, ${J2}`);
  assert.equal(await op(X, "socketsJoin", { rooms: ["r1"], join: [J, J2] }), true);
  for (const c of [S.A.c1, S.B.c1]) {
    await until(`${c.name} is in ${J}`, async () => (await c.rooms()).includes(J));
  }
  for (const c of mains()) {
    assert.deepEqual(await c.rooms(), roomsOf(c, c.authRooms.includes("r1") ? [J, J2] : []), `rooms of ${c.name}`);
  }
  step(`fetchSockets ${J} on ${Y}`);
  assert.deepEqual(
    await op(Y, "fetchSockets", { rooms: [J] }),
    [S.A.c1, S.B.c1].map((c) => c.expectedFetch(names[c.server], [J, J2])).sort(byId),
  );
  step(`broadcast to ${J} from ${X} and from ${Y}`);
  await emitCheck([
    { from: X, rooms: [J], args: ["to-joined", X], to: [S.A.c1, S.B.c1] },
    { from: Y, rooms: [J], args: ["to-joined", Y], to: [S.A.c1, S.B.c1] },
    { from: X, rooms: [J2, "r2"], args: ["to-joined2-or-r2"], to: mains() },
  ]);

  step(`socketsLeave on-${Y} -> ${J}`);
  assert.equal(await op(X, "socketsLeave", { rooms: [`on-${Y}`], leave: [J] }), true);
  await until(`${S[Y].c1.name} left ${J}`, async () => !(await S[Y].c1.rooms()).includes(J));
  assert.deepEqual(await S[Y].c1.rooms(), roomsOf(S[Y].c1, [J2]));
  assert.deepEqual(await S[X].c1.rooms(), roomsOf(S[X].c1, [J, J2]));
  step(`broadcast to ${J} after the leave`);
  await emitCheck([
    { from: X, rooms: [J], args: ["after-leave"], to: [S[X].c1] },
    { from: Y, rooms: [J], args: ["after-leave"], to: [S[X].c1] },
  ]);

  step(`socketsLeave all -> ${J}, ${J2}`);
  assert.equal(await op(X, "socketsLeave", { leave: [J, J2] }), true);
  for (const c of [S.A.c1, S.B.c1]) {
    await until(`${c.name} left ${J2}`, async () => !(await c.rooms()).includes(J2));
  }
  for (const c of mains()) assert.deepEqual(await c.rooms(), roomsOf(c), `rooms of ${c.name}`);
  await emitCheck([
    { from: X, rooms: [J2], args: ["nobody"], to: [] },
    { from: Y, rooms: [J], args: ["nobody"], to: [] },
  ]);
});

// 9. disconnectSockets
row("disconnectSockets", async (X, Y) => {
  step("connect victims");
  const vX = new Client(X, fresh(`victim-${X}`), ["victims"], ["websocket"]);
  const vY1 = new Client(Y, fresh(`victim-${Y}`), ["victims"], ["websocket"]);
  const vY2 = new Client(Y, fresh(`victim-${Y}`), ["victims"], ["polling"]);
  const victims = [vX, vY1, vY2];
  try {
    await Promise.all(victims.map((v) => v.connect()));
    await until("victims visible cluster-wide", async () => (await op(X, "fetchSockets", { rooms: ["victims"] })).length === 3);

    step(`disconnectSockets(${vY1.name} by id, close=false) on ${X}`);
    assert.equal(await op(X, "disconnectSockets", { rooms: [vY1.id], close: false }), true);
    assert.equal(await vY1.waitDisconnect(), "io server disconnect");
    await barrier(X, [...mains(), vX, vY2]);
    assert.deepEqual(vX.disconnects, []);
    assert.deepEqual(vY2.disconnects, []);
    assert.equal(vY1.disconnects.length, 1);

    step(`disconnectSockets(victims, close=true) on ${X}`);
    assert.equal(await op(X, "disconnectSockets", { rooms: ["victims"], close: true }), true);
    assert.equal(await vX.waitDisconnect(), "io server disconnect");
    assert.equal(await vY2.waitDisconnect(), "io server disconnect");
    await barrier(X);
    assert.deepEqual(await op(X, "fetchSockets", { rooms: ["victims"] }), []);
    assert.deepEqual(await op(Y, "fetchSockets", { rooms: ["victims"] }), []);
    for (const v of victims) assert.equal(v.disconnects.length, 1, `${v.name} disconnects: ${v.disconnects}`);
  } finally {
    for (const v of victims) v.close();
  }
});

// 10. serverSideEmit
row("serverSideEmit", async (X, Y) => {
  const tag = fresh("sse");
  step("with ack");
  const args = ["ping", { tag, n: [1, 2] }];
  assert.deepEqual(await op(X, "serverSideEmit", { event: "sse", args }), {
    error: null,
    responses: [{ server: S[Y].name, args }],
  });
  const has = (logEntries, event, a, ack) =>
    // Object key order is not part of the contract: compare values.
    logEntries.some((e) => e.event === event && e.ack === ack && isDeepStrictEqual(e.args, a));
  assert.ok(has(await op(Y, "sseLog"), "sse", args, true), `${Y} did not log the sse`);
  assert.ok(!has(await op(X, "sseLog"), "sse", args, true), `${X} received its own sse`);

  step("without ack");
  const nargs = ["note", tag, 3];
  assert.equal(await op(X, "serverSideEmitNoAck", { event: "note", args: nargs }), true);
  await until(`${Y} logged the note`, async () => has(await op(Y, "sseLog"), "note", nargs, false));
  await delay(ABSENCE_MS);
  assert.ok(!(await op(X, "sseLog")).some((e) => JSON.stringify(e.args).includes(tag)), `${X} received its own serverSideEmit`);
  assert.equal((await op(Y, "sseLog")).filter((e) => isDeepStrictEqual(e.args, nargs)).length, 1);
});

// 11. serverCount
row("serverCount", async (X, Y) => {
  assert.equal(await op(X, "serverCount"), 2);
});

// 12. remote socket emitWithAck
row("remote socket emitWithAck", async (X, Y) => {
  const target = S[Y].c2;
  step(`answered by ${target.name}`);
  let tag = fresh("remote");
  assert.deepEqual(await op(X, "remoteEmitWithAck", { id: target.id, timeoutMs: 10000, event: "ask", args: [{ tag }] }), {
    response: { name: target.name, tag },
  });
  await barrier(X);
  for (const c of mains()) {
    const n = c.got("ask").filter((a) => a[0]?.tag === tag).length;
    assert.equal(n, c === target ? 1 : 0, `${c.name} got the remote ask ${n} times`);
  }
  step("binary ack");
  tag = fresh("remote");
  assert.deepEqual(
    await op(X, "remoteEmitWithAck", { id: target.id, timeoutMs: 10000, event: "ask", args: [{ tag, wantBin: true }] }),
    { response: { name: target.name, tag, bin: bin(Buffer.from(target.name)) } },
  );
  step("timeout (the client does not answer)");
  tag = fresh("remote");
  assert.deepEqual(
    await op(X, "remoteEmitWithAck", { id: target.id, timeoutMs: 500, event: "ask", args: [{ tag, silent: target.name }] }),
    { error: "operation has timed out" },
  );
});

// 13. a phantom third server: a bare Redis subscriber that is counted by
// serverCount() but never answers. Checks the timeout paths and their error
// texts, and the JSON shape of the requests the invoking server publishes.
// Both directions run at the same time (each server is the requester once).
row(
  "silent third server (timeouts)",
  async () => {
    const requestChannel = ADAPTER === "classic" ? `${REDIS_PREFIX}-request#/#` : `${REDIS_PREFIX}#/#`;
    const seen = []; // parsed JSON bodies, or {binary: true}
    const phantom = createClient({ url: REDIS_URL });
    phantom.on("error", (err) => log("phantom redis error:", err.message));
    await phantom.connect();
    const onMsg = (msg) => {
      if (msg[0] === 0x7b) seen.push(JSON.parse(msg.toString()));
      else seen.push({ binary: true });
    };
    try {
      if (ADAPTER === "classic") await phantom.subscribe(requestChannel, onMsg, true);
      else await phantom.sSubscribe(requestChannel, onMsg, true);
      for (const Z of ["A", "B"]) await until(`serverCount on ${Z} is 3`, async () => (await op(Z, "serverCount")) === 3);

      step("fetchSockets and serverSideEmit on A and on B time out (all in parallel)");
      const tag = fresh("phantom");
      const sseArgs = (X) => ["phantom", tag, X];
      const t0 = Date.now();
      const results = await Promise.all(
        ["A", "B"].flatMap((X) => [
          op(X, "fetchSockets", {}, 20000),
          op(X, "serverSideEmit", { event: "sse", args: sseArgs(X) }, 20000),
        ]),
      );
      const elapsed = Date.now() - t0;
      const expectedTimeout = ADAPTER === "classic" ? 2000 : 5000;
      ["A", "B"].forEach((X, i) => {
        const Y = other(X);
        const [fetchRes, sseRes] = results.slice(2 * i, 2 * i + 2);
        assert.deepEqual(
          fetchRes,
          {
            error:
              ADAPTER === "classic"
                ? "timeout reached while waiting for fetchSockets response"
                : "timeout reached: only 1 responses received out of 2",
          },
          `fetchSockets on ${X}`,
        );
        assert.deepEqual(
          sseRes,
          {
            error: "timeout reached: only 1 responses received out of 2",
            responses: [{ server: S[Y].name, args: sseArgs(X) }],
          },
          `serverSideEmit on ${X}`,
        );
      });
      assert.ok(elapsed >= expectedTimeout - 100, `timed out after ${elapsed} ms, want ~${expectedTimeout}`);

      step("broadcast with acks on A and on B: every client answers, yet the phantom never reports");
      const atag = (X) => `${tag}-ack-${X}`;
      const ackResults = await Promise.all(
        ["A", "B"].map((X) => op(X, "emitWithAck", { timeoutMs: 1500, event: "ask", args: [{ tag: atag(X) }] })),
      );
      ["A", "B"].forEach((X, i) => {
        assert.deepEqual(
          ackResults[i],
          {
            error: "operation has timed out",
            responses: sortJSON(mains().map((c) => ({ name: c.name, tag: atag(X) }))),
          },
          `emitWithAck on ${X}`,
        );
      });

      step("requests seen by the phantom");
      const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
      for (const X of ["A", "B"]) {
        if (ADAPTER === "classic") {
          const sseReq = seen.find((m) => m.type === 6 && same(m.data, ["sse", ...sseArgs(X)]));
          assert.ok(sseReq, `no SERVER_SIDE_EMIT request from ${X} seen: ${JSON.stringify(seen)}`);
          assert.equal(typeof sseReq.uid, "string");
          assert.equal(typeof sseReq.requestId, "string");
          const fetchReq = seen.find((m) => m.type === 5 && m.uid === sseReq.uid);
          assert.ok(fetchReq, `no REMOTE_FETCH request from ${X} (uid ${sseReq.uid}) seen: ${JSON.stringify(seen)}`);
          assert.equal(typeof fetchReq.requestId, "string");
          assert.deepEqual(fetchReq.opts, { rooms: [], except: [] });
        } else {
          const sseReq = seen.find((m) => m.type === 9 && same(m.data?.packet, ["sse", ...sseArgs(X)]));
          assert.ok(sseReq, `no SERVER_SIDE_EMIT message from ${X} seen: ${JSON.stringify(seen)}`);
          assert.equal(typeof sseReq.uid, "string");
          assert.equal(sseReq.nsp, "/");
          assert.equal(typeof sseReq.data.requestId, "string");
          const fetchReq = seen.find((m) => m.type === 7 && m.uid === sseReq.uid);
          assert.ok(fetchReq, `no FETCH_SOCKETS message from ${X} seen: ${JSON.stringify(seen)}`);
          assert.equal(fetchReq.nsp, "/");
          assert.equal(typeof fetchReq.data.requestId, "string");
          assert.deepEqual(fetchReq.data.opts, { rooms: [], except: [], flags: {} });
          const bcast = seen.find(
            (m) => m.type === 3 && m.uid === sseReq.uid && same(m.data?.packet?.data, ["ask", { tag: atag(X) }]),
          );
          assert.ok(bcast, `no BROADCAST with ack from ${X} seen`);
          assert.equal(typeof bcast.data.requestId, "string");
          assert.equal(bcast.data.packet.type, 2);
          assert.deepEqual(bcast.data.opts, { rooms: [], except: [], flags: { timeout: 1500 } });
        }
      }
      if (ADAPTER === "classic") {
        // the BROADCAST (type 7) requests are msgpack, one per server
        assert.ok(seen.filter((m) => m.binary).length >= 2, "the msgpack BROADCAST requests were not seen");
      }
    } finally {
      try {
        if (ADAPTER === "classic") await phantom.unsubscribe(requestChannel);
        else await phantom.sUnsubscribe(requestChannel);
      } catch {
        // ignore
      }
      await phantom.quit().catch(() => {});
    }
    for (const Z of ["A", "B"]) await until(`serverCount on ${Z} is back to 2`, async () => (await op(Z, "serverCount")) === 2);
  },
  { both: true },
);

// ---- emitter rows (classic only) ----------------------------------------------------------

const erow = (name, fn) => rows.push({ name, fn, emitter: true });
let emitter = null;
const emitterBarrier = (clients) => barrier(null, clients, async (k) => emitter.emit("barrier", k));

erow("emitter: emit to all", async () => {
  const event = fresh("em-all");
  emitter.emit(event, 1, { x: "y" }, Buffer.from([9, 8, 7]));
  await Promise.all(mains().map((c) => c.waitEvent(event)));
  await emitterBarrier(mains());
  for (const c of mains()) {
    const got = c.got(event);
    assert.equal(got.length, 1);
    assert.equal(got[0].length, 3);
    assert.equal(got[0][0], 1);
    assert.deepEqual(got[0][1], { x: "y" });
    assert.ok(Buffer.isBuffer(got[0][2]), `${c.name}: not a Buffer`);
    assert.deepEqual([...got[0][2]], [9, 8, 7]);
  }
});

erow("emitter: emit to a room", async () => {
  const e1 = fresh("em-room");
  const e2 = fresh("em-rooms-except");
  const e3 = fresh("em-sid");
  emitter.to("r2").emit(e1, "r2");
  emitter.to("on-A").to("on-B").except("r2").emit(e2, "x");
  emitter.to(S.B.c1.id).emit(e3, "sid");
  emitter.to(S.A.c2.id).emit(e3, "sid");
  await emitterBarrier(mains());
  assertReceived(e1, { [S.A.c2.name]: [["r2"]], [S.B.c2.name]: [["r2"]] });
  assertReceived(e2, { [S.A.c1.name]: [["x"]], [S.B.c1.name]: [["x"]] });
  assertReceived(e3, { [S.B.c1.name]: [["sid"]], [S.A.c2.name]: [["sid"]] });
});

erow("emitter: socketsJoin / socketsLeave", async () => {
  const J = "em-joined";
  const roomsOf = (c, extra = []) => [c.id, ...c.authRooms, ...extra].sort();
  emitter.in("r1").socketsJoin(J);
  for (const c of [S.A.c1, S.B.c1]) await until(`${c.name} in ${J}`, async () => (await c.rooms()).includes(J));
  for (const c of mains()) assert.deepEqual(await c.rooms(), roomsOf(c, c.authRooms.includes("r1") ? [J] : []));
  const event = fresh("em-joined");
  emitter.to(J).emit(event, "j");
  await emitterBarrier(mains());
  assertReceived(event, { [S.A.c1.name]: [["j"]], [S.B.c1.name]: [["j"]] });
  emitter.in("on-B").socketsLeave(J);
  await until(`${S.B.c1.name} left ${J}`, async () => !(await S.B.c1.rooms()).includes(J));
  assert.deepEqual(await S.A.c1.rooms(), roomsOf(S.A.c1, [J]));
  emitter.socketsLeave(J);
  await until(`${S.A.c1.name} left ${J}`, async () => !(await S.A.c1.rooms()).includes(J));
  for (const c of mains()) assert.deepEqual(await c.rooms(), roomsOf(c));
});

erow("emitter: disconnectSockets", async () => {
  const victims = [
    new Client("A", fresh("em-victim-A"), ["em-v1"], ["websocket"]),
    new Client("B", fresh("em-victim-B"), ["em-v1"], ["polling"]),
    new Client("A", fresh("em-victim-A"), ["em-v2"], ["polling"]),
    new Client("B", fresh("em-victim-B"), ["em-v2"], ["websocket"]),
  ];
  try {
    await Promise.all(victims.map((v) => v.connect()));
    await until("victims visible", async () => (await op("A", "fetchSockets", { rooms: ["em-v1", "em-v2"] })).length === 4);
    step("disconnectSockets(false) on em-v1");
    emitter.in("em-v1").disconnectSockets();
    assert.equal(await victims[0].waitDisconnect(), "io server disconnect");
    assert.equal(await victims[1].waitDisconnect(), "io server disconnect");
    await emitterBarrier([...mains(), victims[2], victims[3]]);
    assert.deepEqual(victims[2].disconnects, []);
    assert.deepEqual(victims[3].disconnects, []);
    step("disconnectSockets(true) on em-v2");
    emitter.in("em-v2").disconnectSockets(true);
    assert.equal(await victims[2].waitDisconnect(), "io server disconnect");
    assert.equal(await victims[3].waitDisconnect(), "io server disconnect");
    await emitterBarrier(mains());
    assert.deepEqual(await op("A", "fetchSockets", { rooms: ["em-v1", "em-v2"] }), []);
    assert.deepEqual(await op("B", "fetchSockets", { rooms: ["em-v1", "em-v2"] }), []);
  } finally {
    for (const v of victims) v.close();
  }
});

erow("emitter: serverSideEmit", async () => {
  const tag = fresh("em-sse");
  const args = ["from-emitter", tag, { k: [1] }];
  emitter.serverSideEmit("note", ...args);
  for (const X of ["A", "B"]) {
    await until(`${X} logged the emitter's note`, async () =>
      (await op(X, "sseLog")).some((e) => e.event === "note" && !e.ack && isDeepStrictEqual(e.args, args)),
    );
  }
  assert.throws(() => emitter.serverSideEmit("note", () => {}), /Acknowledgements are not supported/);
});

// ---- main ---------------------------------------------------------------------------------

async function main() {
  currentRow = "setup";
  if (!URLS.A || !URLS.B) throw new Error("env URL_A and URL_B must be set");
  if (!REDIS_PREFIX) throw new Error("env REDIS_PREFIX must be set (the prefix both servers use)");

  step("connect clients");
  for (const X of ["A", "B"]) {
    const l = X.toLowerCase();
    S[X] = {
      c1: new Client(X, `${l}1`, ["r1", `on-${X}`], ["websocket"]),
      c2: new Client(X, `${l}2`, ["r2", `on-${X}`], ["polling"]),
    };
  }
  await Promise.all(mains().map((c) => c.connect()));
  log("ids", mains().map((c) => `${c.name}=${c.id}`).join(" "));
  for (const c of mains()) assert.equal(c.id.length, 20, `${c.name}: socket id ${c.id} is not 20 chars`);

  step("info");
  for (const X of ["A", "B"]) {
    const info = await op(X, "info");
    assert.equal(info.prefix, REDIS_PREFIX, `${X} uses prefix ${info.prefix}`);
    assert.equal(info.adapter, ADAPTER, `${X} uses adapter ${info.adapter}`);
    S[X].name = info.name;
    log(`server ${X}:`, JSON.stringify(info));
  }
  assert.notEqual(S.A.name, S.B.name, "both servers have the same NAME");

  step("both servers see each other (serverCount = 2)");
  for (const X of ["A", "B"]) await until(`serverCount on ${X} is 2`, async () => (await op(X, "serverCount")) === 2);
  console.log(`ok   setup (${ADAPTER}, prefix ${REDIS_PREFIX}, A=${S.A.name}, B=${S.B.name})`);

  if (ADAPTER === "classic") {
    emitterRedis = createClient({ url: REDIS_URL });
    emitterRedis.on("error", (err) => log("emitter redis error:", err.message));
    await emitterRedis.connect();
    emitter = new Emitter(emitterRedis, { key: REDIS_PREFIX });
  }

  let count = 0;
  for (const r of rows) {
    if (ONLY && !r.name.includes(ONLY)) continue;
    if (r.emitter) {
      if (ADAPTER !== "classic") {
        console.log(`skip ${r.name} (no emitter for the ${ADAPTER} adapter)`);
        continue;
      }
      currentRow = r.name;
      currentStep = "(start)";
      const t0 = Date.now();
      await r.fn();
      assertNoUnexpectedDisconnect();
      console.log(`ok   ${r.name} (${Date.now() - t0} ms)`);
      count++;
      continue;
    }
    if (r.both) {
      currentRow = `${r.name} [A+B]`;
      currentStep = "(start)";
      const t0 = Date.now();
      await r.fn();
      assertNoUnexpectedDisconnect();
      console.log(`ok   ${currentRow} (${Date.now() - t0} ms)`);
      count++;
      continue;
    }
    for (const [X, Y] of [
      ["A", "B"],
      ["B", "A"],
    ]) {
      currentRow = `${r.name} [${X}→${Y}]`;
      currentStep = "(start)";
      const t0 = Date.now();
      await r.fn(X, Y);
      assertNoUnexpectedDisconnect();
      console.log(`ok   ${currentRow} (${Date.now() - t0} ms)`);
      count++;
    }
  }

  currentRow = "cleanup";
  currentStep = "close";
  closeAll();
  finished = true;
  clearTimeout(hardTimer);
  console.log(`PASS cluster interop: ${count} rows in ${Date.now() - started} ms`);
  setTimeout(() => {
    console.error(
      "FAIL cleanup: process did not exit after closing everything; active resources: " +
        JSON.stringify(process.getActiveResourcesInfo()),
    );
    process.exit(1);
  }, 3000).unref();
}

main().catch(fail);
