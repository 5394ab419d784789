// Node reference implementation of the CLUSTER FIXTURE CONTRACT (see
// README.md in this directory): one Socket.IO server (official socket.io
// 4.8.4) attached to Redis through @socket.io/redis-adapter 8.3.0, classic or
// sharded. Two of these (or one of these and a Go server implementing the same
// contract) share one Redis; interop.mjs drives them from real clients.
//
// Env:
//   PORT              listen port on 127.0.0.1 (0 = pick a free one)
//   REDIS_URL         default redis://127.0.0.1:6379
//   REDIS_PREFIX      classic `key` / sharded `channelPrefix`, default "socket.io"
//   ADAPTER           "classic" (default) | "sharded"
//   SUBSCRIPTION_MODE sharded only: "static" | "dynamic" (default) | "dynamic-private"
//   NAME              server name reported in socket.data / sse answers, default "node"
//
// Prints "listening <port>" on stdout once the HTTP server listens AND the
// adapter's Redis subscriptions are active (so that the peer's serverCount()
// already counts this server).

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";

const PORT = Number(process.env.PORT ?? 0);
const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const REDIS_PREFIX = process.env.REDIS_PREFIX || "socket.io";
const ADAPTER = process.env.ADAPTER || "classic";
const SUBSCRIPTION_MODE = process.env.SUBSCRIPTION_MODE || "dynamic";
const NAME = process.env.NAME || "node";
const REQUESTS_TIMEOUT = 2000;
const SSE_LOG_SIZE = 20;

if (ADAPTER !== "classic" && ADAPTER !== "sharded") {
  console.error(`unknown ADAPTER ${JSON.stringify(ADAPTER)} (want classic or sharded)`);
  process.exit(2);
}

const pubClient = createClient({ url: REDIS_URL });
const subClient = pubClient.duplicate();
for (const c of [pubClient, subClient]) {
  c.on("error", (err) => console.error(`[${NAME}] redis error:`, err.message));
}
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = createServer();
const io = new Server(httpServer, { path: "/socket.io/" });

if (ADAPTER === "classic") {
  io.adapter(createAdapter(pubClient, subClient, { key: REDIS_PREFIX, requestsTimeout: REQUESTS_TIMEOUT }));
} else {
  io.adapter(
    createShardedAdapter(pubClient, subClient, {
      channelPrefix: REDIS_PREFIX,
      subscriptionMode: SUBSCRIPTION_MODE,
    }),
  );
}

// ---- helpers ---------------------------------------------------------------

// {"$bin": "<base64>"} markers -> Buffer, recursively.
function decodeBin(v) {
  if (Array.isArray(v)) return v.map(decodeBin);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$bin" && typeof v.$bin === "string") {
      return Buffer.from(v.$bin, "base64");
    }
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeBin(x);
    return out;
  }
  return v;
}

// Buffer -> {"$bin": "<base64>"} (so that acks to the scenario stay JSON-comparable).
function encodeBin(v) {
  if (Buffer.isBuffer(v)) return { $bin: v.toString("base64") };
  if (v instanceof ArrayBuffer) return { $bin: Buffer.from(v).toString("base64") };
  if (ArrayBuffer.isView(v)) return { $bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (Array.isArray(v)) return v.map(encodeBin);
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = encodeBin(x);
    return out;
  }
  return v;
}

const byJSON = (a, b) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
const sortJSON = (list) => [...(list ?? [])].map(encodeBin).sort(byJSON);

const arr = (v) => (Array.isArray(v) ? v : []);

// Applies rooms / except of params to a BroadcastOperator-like target.
function target(params) {
  let op = io.of("/");
  const rooms = arr(params.rooms);
  const except = arr(params.except);
  if (rooms.length) op = op.in(rooms);
  if (except.length) op = op.except(except);
  return op;
}

// ---- server-side events ----------------------------------------------------

// Every server-side event received under the names below is recorded (newest
// last, at most SSE_LOG_SIZE); if the sender asked for an acknowledgement (a
// function as last argument) it is answered with {server, args}.
const sseLog = [];
function onServerSideEvent(event) {
  return (...args) => {
    const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
    sseLog.push({ event, args: encodeBin(args), ack: cb !== null });
    while (sseLog.length > SSE_LOG_SIZE) sseLog.shift();
    if (cb) cb({ server: NAME, args: encodeBin(args) });
  };
}
for (const ev of ["sse", "note"]) io.on(ev, onServerSideEvent(ev));

// ---- operations --------------------------------------------------------------

const ops = {
  async info() {
    return {
      name: NAME,
      adapter: ADAPTER,
      prefix: REDIS_PREFIX,
      subscriptionMode: ADAPTER === "sharded" ? SUBSCRIPTION_MODE : null,
      impl: "node",
    };
  },

  async emit(p) {
    target(p).emit(p.event, ...decodeBin(arr(p.args)));
    return true;
  },

  async emitWithAck(p) {
    return new Promise((resolve) => {
      target(p)
        .timeout(p.timeoutMs)
        .emit(p.event, ...decodeBin(arr(p.args)), (err, responses) => {
          resolve({ error: err ? err.message : null, responses: sortJSON(responses) });
        });
    });
  },

  async fetchSockets(p) {
    const sockets = await target(p).fetchSockets();
    return sockets
      .map((s) => ({
        id: s.id,
        rooms: [...s.rooms].sort(),
        data: s.data,
        auth: s.handshake.auth,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  },

  async socketsJoin(p) {
    target(p).socketsJoin(p.join);
    return true;
  },

  async socketsLeave(p) {
    target(p).socketsLeave(p.leave);
    return true;
  },

  async disconnectSockets(p) {
    target(p).disconnectSockets(!!p.close);
    return true;
  },

  async serverSideEmit(p) {
    try {
      const responses = await io.serverSideEmitWithAck(p.event, ...decodeBin(arr(p.args)));
      return { error: null, responses: sortJSON(responses) };
    } catch (err) {
      return { error: err.message, responses: sortJSON(err.responses) };
    }
  },

  async serverSideEmitNoAck(p) {
    io.serverSideEmit(p.event, ...decodeBin(arr(p.args)));
    return true;
  },

  async sseLog() {
    return [...sseLog];
  },

  async serverCount() {
    return await io.of("/").adapter.serverCount();
  },

  async remoteEmitWithAck(p) {
    const sockets = await io.in(p.id).fetchSockets();
    const remote = sockets.find((s) => s.id === p.id);
    if (!remote) return { error: `no socket ${p.id}` };
    try {
      const response = await remote.timeout(p.timeoutMs).emitWithAck(p.event, ...decodeBin(arr(p.args)));
      return { response: encodeBin(response) };
    } catch (err) {
      return { error: err.message };
    }
  },
};

// ---- namespace "/" ----------------------------------------------------------------

io.use((socket, next) => {
  socket.data = { name: socket.handshake.auth?.name, server: NAME };
  next();
});

io.on("connection", (socket) => {
  const rooms = socket.handshake.auth?.rooms;
  if (Array.isArray(rooms)) {
    for (const r of rooms) if (typeof r === "string") socket.join(r);
  }

  socket.on("op", async (name, params, ack) => {
    if (typeof ack !== "function") return;
    const fn = Object.hasOwn(ops, name) ? ops[name] : null;
    if (!fn) {
      ack({ error: `unknown op ${name}` });
      return;
    }
    try {
      ack(await fn(params ?? {}));
    } catch (err) {
      ack({ error: err && err.message ? err.message : String(err) });
    }
  });

  socket.on("rooms", (ack) => {
    if (typeof ack === "function") ack([...socket.rooms].sort());
  });
});

// ---- start -------------------------------------------------------------------------

// Wait until this server's own subscriptions are active: the adapter issues
// them without awaiting, in order, on the sub connection; the last one is the
// uid-specific response channel, which only this server subscribes to.
async function waitSubscribed() {
  const adapter = io.of("/").adapter;
  const [kind, channel] =
    ADAPTER === "classic"
      ? ["NUMSUB", `${REDIS_PREFIX}-response#/#${adapter.uid}#`]
      : ["SHARDNUMSUB", `${REDIS_PREFIX}#/#${adapter.uid}#`];
  const deadline = Date.now() + 5000;
  for (;;) {
    const reply = await pubClient.sendCommand(["PUBSUB", kind, channel]);
    if (Number(reply[1]) >= 1) return;
    if (Date.now() > deadline) throw new Error(`not subscribed to ${channel} after 5 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
await waitSubscribed();

httpServer.listen(PORT, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  const force = setTimeout(() => process.exit(0), 2000);
  force.unref();
  try {
    await new Promise((resolve) => io.close(() => resolve()));
  } catch {
    // ignore
  }
  await Promise.allSettled([pubClient.quit(), subClient.quit()]);
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
