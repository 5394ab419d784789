// Default transports: the client starts on HTTP long-polling and upgrades to
// WebSocket. 200 sequenced echo events are fired without waiting, in batches
// sent before the connection is established, while the upgrade is in
// progress and after it; all of them must come back exactly once, in order.
import { scenario, assert, ABSENCE_MS } from "../lib/common.mjs";

const TOTAL = 200;

scenario("upgrade", async (t) => {
  const { step, log } = t;

  step("connect with default transports");
  const socket = t.connect("/");
  const engine = socket.io.engine;
  assert.ok(engine, "manager has no engine right after io()");

  const seen = [];
  const phases = {};
  let next = 0;
  const send = (phase, n) => {
    const from = next;
    while (next < TOTAL && next < from + n) {
      socket.emit("echo", next, engine.transport.name);
      next++;
    }
    phases[phase] = `${from}..${next - 1} (transport ${engine.transport.name})`;
  };

  let resolveAll;
  const allBack = new Promise((r) => (resolveAll = r));
  socket.on("echo", (seq) => {
    seen.push(seq);
    if (seen.length === TOTAL) resolveAll();
  });

  let upgraded = false;
  const upgradedTo = new Promise((resolve) => {
    engine.on("upgrade", (transport) => {
      upgraded = true;
      send("after-upgrade", 40);
      resolve(transport.name);
    });
  });
  engine.on("upgrading", () => send("upgrading", 40));
  socket.on("connect", () => send("on-connect", 40));
  const welcome = t.recorder(socket, "welcome");

  // Sent before the Socket.IO connection exists: buffered by the client and
  // flushed on connect (over polling).
  send("before-connect", 40);

  step("wait for connect, welcome and upgrade");
  await t.waitConnect(socket);
  const [[w]] = await welcome.waitFor(1);
  assert.deepEqual(w, { id: socket.id });
  const name = await t.withTimeout(
    upgradedTo,
    5000,
    () => `no "upgrade" event within 5000 ms (transport ${engine.transport.name})`,
  );
  assert.equal(name, "websocket");
  assert.equal(engine.transport.name, "websocket");
  assert.ok(upgraded);

  step("send the rest over websocket");
  send("after-upgrade-2", TOTAL);
  log("batches:", JSON.stringify(phases));

  step(`all ${TOTAL} echoes come back in order`);
  await t.withTimeout(allBack, 5000, () => `only ${seen.length}/${TOTAL} echoes came back within 5000 ms`);
  assert.deepEqual(
    seen,
    Array.from({ length: TOTAL }, (_, i) => i),
  );

  step("no duplicates arrive afterwards");
  await t.delay(ABSENCE_MS);
  assert.equal(seen.length, TOTAL, `got ${seen.length - TOTAL} extra echo(es)`);
  assert.equal(engine.transport.name, "websocket");
  assert.ok(socket.connected);
});
