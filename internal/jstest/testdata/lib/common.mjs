// Shared helpers for the scenario scripts in ../scenarios.
//
// Every scenario is a standalone Node ESM script:
//
//   import { scenario } from "../lib/common.mjs";
//   scenario("name", async (t) => { ... });
//
// scenario() reads the server URL from env SIO_URL, installs a global hard
// timeout, runs the body, closes every socket that was opened through
// t.connect()/t.manager(), and exits 0 on success or 1 with a clear message on
// failure. Sockets opened through the helpers are tracked, so a failing
// assertion still closes everything and the process exits promptly.

import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { io, Manager } from "socket.io-client";

export { assert };

const HARD_TIMEOUT_MS = Number(process.env.SIO_SCENARIO_TIMEOUT_MS || 15000);
// Default bound for waiting on an event that must arrive.
export const WAIT_MS = 5000;
// Bound for checking that something does NOT arrive.
export const ABSENCE_MS = 300;

/**
 * Runs a scenario. body receives a context object with helpers.
 */
export function scenario(name, body) {
  const url = process.env.SIO_URL;
  const started = Date.now();
  const tracked = new Set(); // sockets and managers to close at the end
  let currentStep = "(start)";

  const log = (...args) => {
    const ms = String(Date.now() - started).padStart(5, " ");
    console.log(`[${name} +${ms}ms]`, ...args);
  };

  const closeAll = () => {
    for (const s of tracked) {
      try {
        if (s instanceof Manager) {
          s._close();
        } else {
          s.disconnect();
          // A socket created with forceNew owns its manager: close the engine
          // too, even if the socket never managed to connect.
          s.io._close();
        }
      } catch {
        // best effort
      }
    }
    tracked.clear();
  };

  let finished = false;
  const fail = (err) => {
    if (finished) return;
    finished = true;
    clearTimeout(hardTimer);
    console.error(`FAIL ${name}: step "${currentStep}"`);
    console.error(err && err.stack ? err.stack : String(err));
    closeAll();
    process.exit(1);
  };

  const hardTimer = setTimeout(() => {
    fail(new Error(`hard timeout: scenario did not finish within ${HARD_TIMEOUT_MS} ms`));
  }, HARD_TIMEOUT_MS);

  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);

  if (!url) {
    fail(new Error("env SIO_URL is not set (e.g. SIO_URL=http://127.0.0.1:3000)"));
    return;
  }

  const t = {
    url,
    log,
    assert,

    /** Marks the beginning of a named step (shown on failure). */
    step(desc) {
      currentStep = desc;
      log("step:", desc);
    },

    /**
     * Opens a socket with its own Manager (forceNew) unless opts.forceNew is
     * explicitly false. nsp is appended to the URL ("/" by default).
     */
    connect(nsp = "/", opts = {}) {
      const s = io(url + (nsp === "/" ? "" : nsp), {
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        ...opts,
      });
      tracked.add(s);
      return s;
    },

    /** Creates a tracked Manager for multiplexing several namespaces. */
    manager(opts = {}) {
      const m = new Manager(url, {
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        ...opts,
      });
      tracked.add(m);
      return m;
    },

    /** Tracks a socket that was created by other means. */
    track(s) {
      tracked.add(s);
      return s;
    },

    once,
    withTimeout,
    waitConnect,
    emitAck,
    recorder,
    expectNone,
    delay,
  };

  (async () => {
    log(`connecting to ${url}`);
    await body(t);
    currentStep = "(cleanup)";
    closeAll();
    finished = true;
    clearTimeout(hardTimer);
    log(`PASS (${Date.now() - started} ms)`);
    // Everything is closed, so the process should exit on its own right away.
    // If a handle leaked (e.g. an engine still polling), report it instead of
    // hanging until the caller's timeout.
    setTimeout(() => {
      console.error(
        `FAIL ${name}: process did not exit after cleanup; active resources: ` +
          JSON.stringify(process.getActiveResourcesInfo()),
      );
      process.exit(1);
    }, 3000).unref();
  })().catch(fail);
}

/**
 * Resolves with the array of arguments of the next `event` on emitter.
 * Rejects after ms, or if the socket emits connect_error while waiting
 * for "connect".
 */
export function once(emitter, event, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out after ${ms} ms waiting for event "${event}"`));
    }, ms);
    const handler = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, handler);
  });
}

/** Resolves/rejects like promise, or rejects with message after ms. */
export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(typeof message === "function" ? message() : message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for "connect"; rejects on connect_error with its message/data. */
export function waitConnect(socket, ms = WAIT_MS) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for "connect" on ${socket.nsp}`));
    }, ms);
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (err) => {
      cleanup();
      reject(
        new Error(
          `connect_error on ${socket.nsp}: ${err.message} data=${JSON.stringify(err.data)}`,
        ),
      );
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/**
 * Emits event with args and an acknowledgement callback; resolves with the
 * FULL array of ack arguments (emitWithAck only gives the first one).
 */
export function emitAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(WAIT_MS).emit(event, ...args, (err, ...res) => {
      if (err) reject(new Error(`no ack for "${event}" within ${WAIT_MS} ms: ${err.message}`));
      else resolve(res);
    });
  });
}

/**
 * Records every occurrence of event on socket. rec.items holds the argument
 * arrays; rec.waitFor(n) resolves once n occurrences have been recorded.
 */
export function recorder(socket, event) {
  const rec = {
    items: [],
    waiters: [],
    waitFor(n, ms = WAIT_MS) {
      if (rec.items.length >= n) return Promise.resolve(rec.items);
      return new Promise((resolve, reject) => {
        const w = { n, resolve };
        w.timer = setTimeout(() => {
          rec.waiters = rec.waiters.filter((x) => x !== w);
          reject(
            new Error(
              `timed out after ${ms} ms waiting for ${n} "${event}" event(s) on ${socket.nsp}; got ${rec.items.length}`,
            ),
          );
        }, ms);
        rec.waiters.push(w);
      });
    },
    clear() {
      rec.items = [];
    },
  };
  socket.on(event, (...args) => {
    rec.items.push(args);
    rec.waiters = rec.waiters.filter((w) => {
      if (rec.items.length >= w.n) {
        clearTimeout(w.timer);
        w.resolve(rec.items);
        return false;
      }
      return true;
    });
  });
  return rec;
}

/**
 * Bounded absence check: waits ms and asserts that none of the recorders got
 * anything (beyond `already` items each).
 */
export async function expectNone(recs, ms = ABSENCE_MS, already = 0) {
  await delay(ms);
  for (const [label, rec] of Object.entries(recs)) {
    assert.equal(
      rec.items.length,
      already,
      `${label} unexpectedly received ${rec.items.length - already} event(s): ${JSON.stringify(rec.items.slice(already))}`,
    );
  }
}

/**
 * Converts every binary leaf (Buffer, ArrayBuffer, typed array) to a Buffer so
 * that payloads can be compared with assert.deepEqual regardless of how the
 * client decoded the attachment.
 */
export function normalizeBinary(v) {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(normalizeBinary);
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeBinary(x);
    return out;
  }
  return v;
}

/** Counts binary leaves (used to check that binaries stay binaries). */
export function countBinary(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return 1;
  if (Array.isArray(v)) return v.reduce((n, x) => n + countBinary(x), 0);
  if (v && typeof v === "object") return Object.values(v).reduce((n, x) => n + countBinary(x), 0);
  return 0;
}
