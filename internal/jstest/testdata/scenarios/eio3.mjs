// Socket.IO v2 client (socket.io-client 2.5.0, npm alias
// "socket.io-client-v2": Engine.IO protocol 3 / Socket.IO protocol 4) against
// a server that allows EIO3 (fixture started with EIO3=1).
//
// The v2 client API differs from v4: io(url, {transports, query, forceNew}),
// no auth (namespace credentials travel as the query of the CONNECT packet,
// which the server exposes as handshake.auth), no connect_error for namespace
// refusals (an "error" event instead), no ack timeouts (bounded here with
// withTimeout), Manager.close() instead of _close().
import ioV2 from "socket.io-client-v2";
import { scenario, assert, ABSENCE_MS, WAIT_MS, normalizeBinary } from "../lib/common.mjs";

scenario("eio3", async (t) => {
  const { step, log } = t;
  const opened = []; // v2 sockets, closed at the end of each round

  const v2 = (nsp, opts) => {
    const s = ioV2(t.url + (nsp === "/" ? "" : nsp), {
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
      ...opts,
    });
    opened.push(s);
    return t.track(s);
  };
  // emit with an ack callback; resolves with all ack arguments.
  const ack = (s, event, ...args) =>
    t.withTimeout(
      new Promise((resolve) => s.emit(event, ...args, (...res) => resolve(res))),
      WAIT_MS,
      `no ack for "${event}" on ${s.nsp} within ${WAIT_MS} ms`,
    );
  const connected = (s) =>
    s.connected
      ? Promise.resolve()
      : t.withTimeout(
          new Promise((resolve, reject) => {
            s.once("connect", resolve);
            s.once("error", (e) => reject(new Error(`error on ${s.nsp}: ${JSON.stringify(e)}`)));
          }),
          WAIT_MS,
          `timed out waiting for "connect" on ${s.nsp}`,
        );

  for (const [label, opts] of [
    ["polling", { transports: ["polling"] }],
    ["websocket", { transports: ["websocket"] }],
    ["polling+upgrade", { transports: ["polling", "websocket"] }],
  ]) {
    const tag = `[${label}]`;

    step(`${tag} connect "/": the socket id is the Engine.IO id`);
    const s = v2("/", opts);
    const welcomes = t.recorder(s, "welcome");
    const echoes = t.recorder(s, "echo");
    const disconnects = t.recorder(s, "disconnect");
    const attempts = t.recorder(s, "reconnect_attempt");
    await connected(s);
    assert.equal(s.id, s.io.engine.id);
    await welcomes.waitFor(1);
    assert.deepEqual(welcomes.items[0], [{ id: s.id }]);
    if (label === "polling+upgrade" && s.io.engine.transport.name !== "websocket") {
      await t.once(s.io.engine, "upgrade");
    }
    log(`${tag} transport ${s.io.engine.transport.name}, id ${s.id}`);

    step(`${tag} handshake: EIO=3 in the query (b64=1 on polling: the v2 client in Node asks for base64)`);
    const [hs] = await ack(s, "handshake");
    log(`${tag} handshake:`, JSON.stringify(hs));
    assert.deepEqual(hs.auth, {});
    assert.equal(hs.query.EIO, "3");
    assert.equal(hs.query.transport, label === "websocket" ? "websocket" : "polling");
    if (label !== "websocket") assert.equal(hs.query.b64, "1");

    step(`${tag} echo with ack: JSON values`);
    const values = ["héllo 😀 \u2028", 42, -1.5, null, true, { a: [1, { b: "c" }] }, [], {}];
    assert.deepEqual(await ack(s, "echo", ...values), values);
    assert.deepEqual(await ack(s, "echo"), []);

    step(`${tag} echo with ack: binary`);
    const bin = Buffer.from([0, 1, 2, 253, 254, 255]);
    const big = Buffer.alloc(100 * 1024, 7);
    const res = await ack(s, "echo", "b", bin, { nested: [bin, { big }] });
    assert.deepEqual(normalizeBinary(res), ["b", bin, { nested: [bin, { big }] }]);
    assert.ok(Buffer.isBuffer(res[1]), "binary did not come back as a Buffer");

    step(`${tag} echo without ack: JSON and binary events`);
    s.emit("echo", { x: 1 }, "two");
    await echoes.waitFor(1);
    assert.deepEqual(echoes.items[0], [{ x: 1 }, "two"]);
    s.emit("echo", bin, [Buffer.alloc(0)]);
    await echoes.waitFor(2);
    assert.deepEqual(normalizeBinary(echoes.items[1]), [bin, [Buffer.alloc(0)]]);

    step(`${tag} one manager for "/" and "/other": ids are "/other#" + engine id`);
    const m = new ioV2.Manager(t.url, { ...opts, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    const root = t.track(m.socket("/"));
    const other = t.track(m.socket("/other"));
    opened.push(root, other);
    await Promise.all([connected(root), connected(other)]);
    assert.equal(root.id, m.engine.id);
    assert.equal(other.id, "/other#" + m.engine.id);
    assert.deepEqual(await ack(other, "echo", "o", 1), ["o", 1]);
    assert.deepEqual(await ack(root, "echo", "r"), ["r"]);
    const otherEchoes = t.recorder(other, "echo");
    other.emit("echo", "to-other");
    await otherEchoes.waitFor(1);
    assert.deepEqual(otherEchoes.items[0], ["to-other"]);

    step(`${tag} "/admin" refused by the middleware: "error" event with err.data, no connect`);
    const bad = m.socket("/admin", { query: { token: "wrong" } });
    t.track(bad);
    opened.push(bad);
    let badConnects = 0;
    bad.on("connect", () => badConnects++);
    const [err] = await t.once(bad, "error");
    log(`${tag} /admin refusal:`, JSON.stringify(err));
    assert.deepEqual(err, { reason: "bad token" });
    await t.delay(ABSENCE_MS);
    assert.equal(badConnects, 0);
    assert.equal(bad.connected, false);
    assert.ok(root.connected && other.connected, "a refused namespace broke the others");
    assert.deepEqual(await ack(root, "echo", "still"), ["still"]);

    step(`${tag} unknown namespace: "error" event {"message":"Invalid namespace"}`);
    const nope = v2("/nope", opts);
    const [err2] = await t.once(nope, "error");
    assert.deepEqual(err2, { message: "Invalid namespace" });
    assert.equal(nope.connected, false);

    step(`${tag} "/admin" with the token in the query: whoami`);
    const admin = v2("/admin", { ...opts, query: { token: "secret" } });
    await connected(admin);
    assert.equal(admin.id, "/admin#" + admin.io.engine.id);
    assert.deepEqual(await ack(admin, "whoami"), ["/admin", admin.id]);
    const [ahs] = await ack(s, "handshake");
    assert.deepEqual(ahs.auth, {}, "auth of / must stay empty");

    step(`${tag} rooms work for v2 sockets`);
    const room = `eio3-${label}-${process.pid}`;
    assert.deepEqual(await ack(s, "join", room), [true]);
    assert.deepEqual(await ack(root, "join", room), [true]);
    const news = [t.recorder(s, "news"), t.recorder(root, "news")];
    assert.deepEqual(await ack(root, "to-room", room, "news", { n: 1 }), [true]);
    for (const r of news) {
      await r.waitFor(1);
      assert.deepEqual(r.items[0], [{ n: 1 }]);
    }
    const [rooms] = await ack(s, "rooms");
    assert.deepEqual(rooms, [s.id, room].sort());

    step(`${tag} close-transport: "transport close", automatic reconnection with a new id`);
    const id1 = s.id;
    s.emit("close-transport");
    await disconnects.waitFor(1);
    assert.equal(disconnects.items[0][0], "transport close");
    await welcomes.waitFor(2);
    assert.ok(attempts.items.length >= 1, "no reconnect_attempt event recorded");
    assert.ok(s.connected);
    assert.notEqual(s.id, id1);
    assert.equal(s.id, s.io.engine.id);
    assert.deepEqual(welcomes.items[1], [{ id: s.id }]);
    assert.deepEqual(await ack(s, "echo", "again"), ["again"]);

    step(`${tag} disconnect-me false: "io server disconnect", no reconnection`);
    const attemptsBefore = attempts.items.length;
    s.emit("disconnect-me", false);
    await disconnects.waitFor(2);
    assert.equal(disconnects.items[1][0], "io server disconnect");
    await t.delay(ABSENCE_MS);
    assert.equal(s.connected, false);
    assert.equal(attempts.items.length, attemptsBefore, "reconnected after io server disconnect");

    step(`${tag} manual connect(), then disconnect-me true: "io server disconnect"`);
    s.connect();
    await welcomes.waitFor(3);
    assert.ok(s.connected);
    s.emit("disconnect-me", true);
    await disconnects.waitFor(3);
    assert.equal(disconnects.items[2][0], "io server disconnect");
    await t.delay(ABSENCE_MS);
    assert.equal(s.connected, false);
    assert.equal(disconnects.items.length, 3);

    step(`${tag} close everything`);
    for (const x of opened) x.close();
    m.close();
    opened.length = 0;
  }
});
