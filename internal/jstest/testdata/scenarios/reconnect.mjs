// Server-initiated disconnections and automatic / manual reconnection.
import { scenario, assert, ABSENCE_MS } from "../lib/common.mjs";

async function run(t, transports) {
  const { step, log } = t;
  const tag = `[${transports.join("+")}]`;

  step(`${tag} connect`);
  const socket = t.connect("/", { transports });
  const welcomes = t.recorder(socket, "welcome");
  const disconnects = t.recorder(socket, "disconnect");
  const connects = t.recorder(socket, "connect");
  await connects.waitFor(1);
  await welcomes.waitFor(1);
  const id1 = socket.id;
  assert.deepEqual(welcomes.items[0], [{ id: id1 }]);
  if (transports.length > 1) {
    // default transports: make sure we are past the upgrade so the transport
    // that gets closed is the WebSocket.
    if (socket.io.engine.transport.name !== "websocket") await t.once(socket.io.engine, "upgrade");
  }
  log("transport", socket.io.engine.transport.name);

  step(`${tag} (a) close-transport -> "transport close", then automatic reconnection`);
  const engine1 = socket.io.engine.id;
  socket.emit("close-transport");
  await disconnects.waitFor(1);
  assert.equal(disconnects.items[0][0], "transport close");
  assert.equal(socket.active, true, "socket must keep trying to reconnect after a transport close");
  assert.equal(socket.connected, false);
  await connects.waitFor(2);
  await welcomes.waitFor(2);
  const id2 = socket.id;
  assert.notEqual(id2, id1, "socket.id must change after reconnection");
  assert.deepEqual(welcomes.items[1], [{ id: id2 }]);
  assert.notEqual(socket.io.engine.id, engine1, "a new Engine.IO session must be used");
  assert.deepEqual(await t.emitAck(socket, "echo", "after reconnect"), ["after reconnect"]);

  step(`${tag} (b) disconnect-me false -> "io server disconnect", no auto-reconnect`);
  socket.emit("disconnect-me", false);
  await disconnects.waitFor(2);
  assert.equal(disconnects.items[1][0], "io server disconnect");
  assert.equal(socket.active, false);
  assert.equal(socket.connected, false);
  await t.delay(ABSENCE_MS);
  assert.equal(connects.items.length, 2, "reconnected automatically after io server disconnect");

  step(`${tag} (b) manual socket.connect() works again`);
  socket.connect();
  await connects.waitFor(3);
  await welcomes.waitFor(3);
  const id3 = socket.id;
  assert.notEqual(id3, id2);
  assert.deepEqual(welcomes.items[2], [{ id: id3 }]);
  assert.deepEqual(await t.emitAck(socket, "echo", "manual"), ["manual"]);

  step(`${tag} (c) disconnect-me true -> "io server disconnect", no auto-reconnect`);
  socket.emit("disconnect-me", true);
  await disconnects.waitFor(3);
  assert.equal(disconnects.items[2][0], "io server disconnect");
  assert.equal(socket.active, false);
  await t.delay(ABSENCE_MS);
  assert.equal(connects.items.length, 3, "reconnected automatically after io server disconnect");
  assert.equal(disconnects.items.length, 3, `extra disconnect events: ${JSON.stringify(disconnects.items)}`);

  step(`${tag} (c) manual socket.connect() works again`);
  socket.connect();
  await connects.waitFor(4);
  assert.deepEqual(await t.emitAck(socket, "echo", "manual 2"), ["manual 2"]);

  step(`${tag} client disconnect`);
  socket.disconnect();
  assert.equal(disconnects.items[3][0], "io client disconnect");
  assert.equal(socket.active, false);
}

async function runMultiplexed(t, transports) {
  const { step, log } = t;
  const tag = `[multiplexed ${transports.join("+")}]`;

  step(`${tag} connect "/" and "/other" on one manager`);
  const m = t.manager({ transports });
  const root = m.socket("/");
  const other = m.socket("/other");
  const otherDisconnects = t.recorder(other, "disconnect");
  const rootDisconnects = t.recorder(root, "disconnect");
  await Promise.all([t.waitConnect(root), t.waitConnect(other)]);
  const engineId = m.engine.id;

  step(`${tag} disconnect-me false on "/" keeps "/other" and the engine alive`);
  root.emit("disconnect-me", false);
  await rootDisconnects.waitFor(1);
  assert.equal(rootDisconnects.items[0][0], "io server disconnect");
  assert.deepEqual(await t.emitAck(other, "echo", "other alive"), ["other alive"]);
  assert.equal(m.engine.id, engineId, "engine changed");
  assert.equal(otherDisconnects.items.length, 0);

  step(`${tag} reconnect "/" on the same engine`);
  root.connect();
  await t.waitConnect(root);
  assert.equal(m.engine.id, engineId, "engine changed");

  step(`${tag} disconnect-me true on "/" closes the whole connection`);
  root.emit("disconnect-me", true);
  await rootDisconnects.waitFor(2);
  await otherDisconnects.waitFor(1);
  log("reasons:", JSON.stringify(rootDisconnects.items[1]), JSON.stringify(otherDisconnects.items[0]));
  assert.equal(rootDisconnects.items[1][0], "io server disconnect");
  assert.equal(otherDisconnects.items[0][0], "io server disconnect");
  assert.equal(root.active, false);
  assert.equal(other.active, false);
  m._close();
}

scenario("reconnect", async (t) => {
  await run(t, ["polling"]);
  await run(t, ["websocket"]);
  await run(t, ["polling", "websocket"]);
  await runMultiplexed(t, ["polling"]);
  await runMultiplexed(t, ["websocket"]);
});
