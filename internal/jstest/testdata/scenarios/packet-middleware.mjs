// Per-packet middleware (socket.use) on "/": events named "forbidden" are
// rejected; the rejection is an "error" on the server-side socket only.
import { scenario, assert, ABSENCE_MS } from "../lib/common.mjs";

scenario("packet-middleware", async (t) => {
  const { step, log } = t;

  for (const transport of ["polling", "websocket"]) {
    const tag = `[${transport}]`;

    step(`${tag} connect two sockets`);
    const s = t.connect("/", { transports: [transport] });
    const other = t.connect("/", { transports: [transport] });
    const disconnects = t.recorder(s, "disconnect");
    const echoes = t.recorder(s, "echo");
    const forbiddenEvents = t.recorder(s, "forbidden");
    await Promise.all([t.waitConnect(s), t.waitConnect(other)]);

    step(`${tag} no errors yet`);
    assert.deepEqual(await t.emitAck(s, "errors"), [[]]);

    step(`${tag} "forbidden" with an ack: the ack never comes`);
    let acked = 0;
    s.emit("forbidden", 1, { two: 2 }, () => acked++);
    s.emit("forbidden");
    // Barrier: the server has processed both forbidden packets once this ack
    // arrives (packets of one socket are handled in order).
    assert.deepEqual(await t.emitAck(s, "echo", "barrier"), ["barrier"]);
    await t.delay(ABSENCE_MS);
    assert.equal(acked, 0, "the server acknowledged a rejected event");
    assert.equal(forbiddenEvents.items.length, 0);
    assert.equal(echoes.items.length, 0);
    assert.equal(disconnects.items.length, 0, "the connection was closed");
    assert.ok(s.connected);

    step(`${tag} the server recorded one "forbidden event" error per rejected packet`);
    assert.deepEqual(await t.emitAck(s, "errors"), [["forbidden event", "forbidden event"]]);
    assert.deepEqual(await t.emitAck(other, "errors"), [[]], "errors must be per socket");

    step(`${tag} other events still pass the middleware`);
    s.emit("echo", "after");
    await echoes.waitFor(1);
    assert.deepEqual(echoes.items[0], ["after"]);
    assert.deepEqual(await t.emitAck(s, "echo", 1, 2), [1, 2]);

    step(`${tag} the catch-all listener saw the rejected events (onAny runs before socket.use)`);
    const [anyLog] = await t.emitAck(s, "any-log");
    log(`${tag} incoming:`, JSON.stringify(anyLog.incoming));
    assert.deepEqual(anyLog.incoming, [
      ["errors"],
      ["forbidden", 1, { two: 2 }],
      ["forbidden"],
      ["echo", "barrier"],
      ["errors"],
      ["echo", "after"],
      ["echo", 1, 2],
      ["any-log"],
    ]);

    step(`${tag} still connected, same engine`);
    assert.ok(s.connected);
    assert.equal(s.io.engine.transport.name, transport);
    assert.equal(disconnects.items.length, 0);
    s.disconnect();
    other.disconnect();
  }
});
