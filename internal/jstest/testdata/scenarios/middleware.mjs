// Namespace middleware rejection, unknown namespace, handshake auth/query.
import { scenario, assert, ABSENCE_MS } from "../lib/common.mjs";

scenario("middleware", async (t) => {
  const { step, log } = t;

  for (const transport of ["polling", "websocket"]) {
    step(`[${transport}] /admin with a wrong token is rejected by the middleware`);
    const bad = t.connect("/admin", { transports: [transport], auth: { token: "wrong" } });
    let connects = 0;
    let errors = 0;
    bad.on("connect", () => connects++);
    bad.on("connect_error", () => errors++);
    const [err] = await t.once(bad, "connect_error");
    assert.equal(err.message, "not authorized");
    assert.deepEqual(err.data, { reason: "bad token" });
    assert.equal(bad.connected, false);
    assert.equal(bad.active, false, "socket must not retry after a middleware error");
    await t.delay(ABSENCE_MS);
    assert.equal(connects, 0, "connected after a middleware error");
    assert.equal(errors, 1, "connect_error fired again (auto-retry?)");
    bad.disconnect();

    step(`[${transport}] /admin without auth is rejected too`);
    const none = t.connect("/admin", { transports: [transport] });
    const [err2] = await t.once(none, "connect_error");
    assert.equal(err2.message, "not authorized");
    assert.deepEqual(err2.data, { reason: "bad token" });
    none.disconnect();

    step(`[${transport}] unknown namespace /nope`);
    const nope = t.connect("/nope", { transports: [transport] });
    const [err3] = await t.once(nope, "connect_error");
    log("unknown namespace error:", err3.message, JSON.stringify(err3.data));
    assert.equal(err3.message, "Invalid namespace");
    assert.equal(nope.active, false);
    nope.disconnect();

    step(`[${transport}] a rejected namespace does not break "/" on the same manager`);
    const m = t.manager({ transports: [transport] });
    const root = m.socket("/");
    const denied = m.socket("/admin", { auth: { token: "nope" } });
    const [err4] = await t.once(denied, "connect_error");
    assert.equal(err4.message, "not authorized");
    await t.waitConnect(root);
    assert.deepEqual(await t.emitAck(root, "echo", "ok"), ["ok"]);
    assert.equal(denied.active, false);
    assert.ok(root.connected);
    m._close();

    step(`[${transport}] handshake exposes auth and query`);
    const hs = t.connect("/", {
      transports: [transport],
      query: { foo: "bar", n: "1" },
      auth: { x: 1, nested: { y: [true] } },
    });
    await t.waitConnect(hs);
    const [info] = await t.emitAck(hs, "handshake");
    log("handshake:", JSON.stringify(info));
    assert.deepEqual(info.auth, { x: 1, nested: { y: [true] } });
    assert.equal(info.query.foo, "bar");
    assert.equal(info.query.n, "1");
    assert.equal(info.query.EIO, "4");
    assert.equal(info.query.transport, transport);
    hs.disconnect();

    step(`[${transport}] handshake without auth gives an empty object`);
    const plain = t.connect("/", { transports: [transport] });
    await t.waitConnect(plain);
    const [info2] = await t.emitAck(plain, "handshake");
    assert.deepEqual(info2.auth, {});
    assert.equal(info2.query.foo, undefined);
    plain.disconnect();
  }
});
