// Connection state recovery. Needs a server in CSR mode (fixture started with
// CSR=1; CSR_MAX_MS must be the same value for the server and this script,
// default 2000).
//
// With recovery enabled, every event that the server sends WITHOUT an ack
// callback (socket.emit, room and namespace broadcasts) carries one extra
// trailing argument, the offset (a string); the client remembers the last one
// and sends {pid, offset} in its next CONNECT. Events are therefore recorded
// here as [payload, offset].
import { scenario, assert, ABSENCE_MS } from "../lib/common.mjs";

const MAX_MS = Number(process.env.CSR_MAX_MS ?? 2000);
// Reconnection delay for the short disconnections: long enough for the other
// client to emit the "missed" events while this one is offline, well below
// MAX_MS.
const SHORT_DELAY_MS = Math.min(400, Math.floor(MAX_MS / 3));

function setReconnectDelay(socket, ms) {
  socket.io.randomizationFactor(0);
  socket.io.reconnectionDelay(ms);
  socket.io.reconnectionDelayMax(ms);
}

async function run(t, transport) {
  const { step, log } = t;
  const tag = `[${transport}]`;
  const room = `csr-${transport}-${process.pid}-${Date.now()}`;

  step(`${tag} connect a (${transport}) and b (websocket)`);
  const a = t.connect("/", { transports: [transport] });
  const b = t.connect("/", { transports: ["websocket"] });
  const welcomes = t.recorder(a, "welcome");
  const missed = t.recorder(a, "missed");
  const bMissed = t.recorder(b, "missed");
  const disconnects = t.recorder(a, "disconnect");
  const attempts = t.recorder(a.io, "reconnect_attempt");
  // Snapshot of the "missed" payloads at the moment each "connect" fires.
  const atConnect = [];
  a.on("connect", () => atConnect.push(missed.items.map((x) => x[0])));
  const connects = t.recorder(a, "connect");
  await Promise.all([t.waitConnect(a), t.waitConnect(b)]);
  await connects.waitFor(1);
  assert.equal(a.recovered, false, "first connection cannot be recovered");
  assert.deepEqual(await t.emitAck(a, "recovered"), [false]);
  const id1 = a.id;

  step(`${tag} welcome carries the offset as an extra string argument`);
  await welcomes.waitFor(1);
  assert.equal(welcomes.items[0].length, 2, `welcome args: ${JSON.stringify(welcomes.items[0])}`);
  assert.deepEqual(welcomes.items[0][0], { id: id1 });
  assert.equal(typeof welcomes.items[0][1], "string");

  step(`${tag} acks and events that request an ack carry no offset; an echo event does`);
  assert.deepEqual(await t.emitAck(a, "echo", "x", 1), ["x", 1]);
  const pleaseAck = [];
  a.on("please-ack", (...args) => {
    pleaseAck.push(args.length);
    args[args.length - 1]("ok");
  });
  assert.deepEqual(await t.emitAck(a, "request-ack", "please-ack", "q", 2000), [{ response: "ok" }]);
  assert.deepEqual(pleaseAck, [2], "an event with an ack must have no offset argument");
  const echoes = t.recorder(a, "echo");
  a.emit("echo", "e");
  await echoes.waitFor(1);
  assert.equal(echoes.items[0].length, 2);
  assert.equal(echoes.items[0][0], "e");
  assert.equal(typeof echoes.items[0][1], "string");

  step(`${tag} join a room, store data, receive one room event`);
  assert.deepEqual(await t.emitAck(a, "join", room), [true]);
  assert.deepEqual(await t.emitAck(a, "store", { v: [1, "two"] }), [true]);
  assert.deepEqual(await t.emitAck(b, "to-room", room, "missed", "before"), [true]);
  await missed.waitFor(1);
  assert.equal(missed.items[0][0], "before");
  const [mw0] = await t.emitAck(a, "mw-count");
  assert.equal(typeof mw0, "number");
  log(`${tag} middleware runs so far: ${mw0}`);

  // ---------------------------------------------------------------------
  step(`${tag} (1) server closes the transport: client reason "transport close"`);
  setReconnectDelay(a, SHORT_DELAY_MS);
  a.emit("close-transport");
  await disconnects.waitFor(1);
  assert.equal(disconnects.items[0][0], "transport close");
  assert.equal(a.active, true);

  step(`${tag} (1) b sends three room events while a is offline`);
  for (const p of ["m1", "m2", "m3"]) {
    assert.deepEqual(await t.emitAck(b, "to-room", room, "missed", p), [true]);
  }
  assert.equal(attempts.items.length, 0, "precondition: a reconnected before b's events were sent; raise SHORT_DELAY_MS");
  assert.equal(missed.items.length, 1, "a received events while disconnected");

  step(`${tag} (1) automatic reconnection recovers the session`);
  await connects.waitFor(2);
  log(`${tag} missed events seen when "connect" fired:`, JSON.stringify(atConnect[1]));
  assert.equal(a.recovered, true, "socket.recovered must be true");
  assert.equal(a.id, id1, "a recovered socket keeps its id");
  assert.deepEqual(
    atConnect[1],
    ["before", "m1", "m2", "m3"],
    'the missed events must be delivered before "connect" fires (they precede the CONNECT packet)',
  );
  assert.deepEqual(await t.emitAck(a, "recovered"), [true]);
  assert.deepEqual(await t.emitAck(a, "rooms"), [[id1, room].sort()]);
  assert.deepEqual(await t.emitAck(a, "data"), [{ value: { v: [1, "two"] } }]);
  assert.deepEqual(await t.emitAck(a, "mw-count"), [mw0], "the middleware ran for a recovered socket");

  step(`${tag} (1) the connection handler ran again: a second welcome, same id`);
  await welcomes.waitFor(2);
  assert.deepEqual(welcomes.items[1][0], { id: id1 });

  step(`${tag} (1) each missed event arrived exactly once, offsets distinct`);
  assert.deepEqual(await t.emitAck(b, "to-room", room, "missed", "after"), [true]);
  await missed.waitFor(5);
  await t.delay(ABSENCE_MS);
  assert.deepEqual(
    missed.items.map((x) => x[0]),
    ["before", "m1", "m2", "m3", "after"],
  );
  for (const item of missed.items) assert.equal(item.length, 2);
  assert.equal(new Set(missed.items.map((x) => x[1])).size, 5, "offsets must be unique");
  missed.clear();
  atConnect.length = 0;
  bMissed.clear();

  // ---------------------------------------------------------------------
  step(`${tag} (2) client-side drop (engine.close()): client reason "forced close"`);
  assert.deepEqual(await t.emitAck(a, "later", "missed", "late", 100), [true]);
  a.io.engine.close();
  await disconnects.waitFor(2);
  log(`${tag} client-side disconnect reason:`, JSON.stringify(disconnects.items[1]));
  assert.equal(disconnects.items[1][0], "forced close");
  assert.equal(a.active, true);

  step(`${tag} (2) the server emits "late" to everyone while a is offline`);
  await bMissed.waitFor(1);
  assert.equal(bMissed.items[0][0], "late");
  assert.equal(attempts.items.length, 1, "precondition: a reconnected before the server emitted; raise SHORT_DELAY_MS");

  step(`${tag} (2) recovered again, "late" delivered once before "connect"`);
  await connects.waitFor(3);
  assert.equal(a.recovered, true);
  assert.equal(a.id, id1);
  assert.deepEqual(atConnect[0], ["late"]);
  assert.deepEqual(await t.emitAck(a, "rooms"), [[id1, room].sort()]);
  assert.deepEqual(await t.emitAck(a, "data"), [{ value: { v: [1, "two"] } }]);
  assert.deepEqual(await t.emitAck(a, "mw-count"), [mw0]);
  await t.delay(ABSENCE_MS);
  assert.deepEqual(missed.items.map((x) => x[0]), ["late"]);
  missed.clear();
  atConnect.length = 0;

  // ---------------------------------------------------------------------
  step(`${tag} (3) a disconnection longer than CSR_MAX_MS (${MAX_MS} ms) is not recovered`);
  const longDelay = MAX_MS + 500;
  setReconnectDelay(a, longDelay);
  const tDown = Date.now();
  a.emit("close-transport");
  await disconnects.waitFor(3);
  assert.equal(disconnects.items[2][0], "transport close");
  assert.deepEqual(await t.emitAck(b, "to-room", room, "missed", "lost"), [true]);
  await connects.waitFor(4, longDelay + 5000);
  const down = Date.now() - tDown;
  log(`${tag} offline for ${down} ms`);
  assert.ok(down > MAX_MS, `precondition: offline only ${down} ms`);
  assert.equal(a.recovered, false, "recovered after the session expired");
  const id2 = a.id;
  assert.notEqual(id2, id1, "a new session must get a new id");
  assert.deepEqual(atConnect[0], [], "events delivered before connect on a new session");
  assert.deepEqual(await t.emitAck(a, "recovered"), [false]);
  assert.deepEqual(await t.emitAck(a, "rooms"), [[id2]]);
  assert.deepEqual(await t.emitAck(a, "data"), [{}]);
  assert.deepEqual(await t.emitAck(a, "mw-count"), [mw0 + 1], "the middleware must run for a new session");
  await t.delay(ABSENCE_MS);
  assert.equal(missed.items.length, 0, `events of the expired session delivered: ${JSON.stringify(missed.items)}`);
  setReconnectDelay(a, SHORT_DELAY_MS);

  // ---------------------------------------------------------------------
  step(`${tag} (4) "io server disconnect" (disconnect-me) is not recoverable`);
  assert.deepEqual(await t.emitAck(a, "join", room), [true]);
  assert.deepEqual(await t.emitAck(a, "store", "x"), [true]);
  a.emit("disconnect-me", false);
  await disconnects.waitFor(4);
  assert.equal(disconnects.items[3][0], "io server disconnect");
  assert.equal(a.active, false);
  a.connect();
  await connects.waitFor(5);
  assert.equal(a.recovered, false);
  const id3 = a.id;
  assert.notEqual(id3, id2);
  assert.deepEqual(await t.emitAck(a, "rooms"), [[id3]]);
  assert.deepEqual(await t.emitAck(a, "data"), [{}]);
  assert.deepEqual(await t.emitAck(a, "mw-count"), [mw0 + 2]);

  step(`${tag} (4) "io client disconnect" (socket.disconnect()) is not recoverable`);
  assert.deepEqual(await t.emitAck(a, "join", room), [true]);
  a.disconnect();
  assert.equal(disconnects.items[4][0], "io client disconnect");
  a.connect();
  await connects.waitFor(6);
  assert.equal(a.recovered, false);
  assert.notEqual(a.id, id3);
  assert.deepEqual(await t.emitAck(a, "rooms"), [[a.id]]);
  assert.deepEqual(await t.emitAck(a, "mw-count"), [mw0 + 3]);

  a.disconnect();
  b.disconnect();
}

scenario("recovery", async (t) => {
  await run(t, "websocket");
  await run(t, "polling");
});
