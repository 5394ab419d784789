// One Manager multiplexing "/", "/other" and "/admin" over a single
// Engine.IO connection.
import { scenario, assert } from "../lib/common.mjs";

scenario("namespaces", async (t) => {
  const { step, log } = t;

  step("one manager, three namespaces");
  const manager = t.manager();
  let engineOpens = 0;
  manager.on("open", () => engineOpens++);
  const root = manager.socket("/");
  const other = manager.socket("/other");
  const admin = manager.socket("/admin", { auth: { token: "secret" } });
  const welcome = t.recorder(root, "welcome");
  await Promise.all([t.waitConnect(root), t.waitConnect(other), t.waitConnect(admin)]);
  const [[w]] = await welcome.waitFor(1);
  assert.deepEqual(w, { id: root.id });

  step("they share one Engine.IO connection");
  assert.equal(root.io, manager);
  assert.equal(other.io, manager);
  assert.equal(admin.io, manager);
  const engineId = manager.engine.id;
  assert.equal(typeof engineId, "string");
  assert.ok(engineId.length > 0);
  assert.equal(engineOpens, 1, "the manager opened more than one engine");
  log("engine id", engineId, "socket ids", root.id, other.id, admin.id);

  step("socket ids are distinct per namespace and distinct from the engine id");
  assert.equal(new Set([root.id, other.id, admin.id, engineId]).size, 4);

  step("io(url + nsp) reuses the cached manager for another namespace");
  const viaCache1 = t.track((await import("socket.io-client")).io(t.url, { transports: ["websocket"] }));
  const viaCache2 = t.track((await import("socket.io-client")).io(t.url + "/other", { transports: ["websocket"] }));
  assert.equal(viaCache1.io, viaCache2.io, "io() did not multiplex /other on the cached manager");
  await Promise.all([t.waitConnect(viaCache1), t.waitConnect(viaCache2)]);
  assert.equal(viaCache1.io.engine.id, viaCache2.io.engine.id);
  assert.deepEqual(await t.emitAck(viaCache2, "echo", "cached"), ["cached"]);
  viaCache1.disconnect();
  viaCache2.disconnect();

  step("ack and echo on each namespace");
  assert.deepEqual(await t.emitAck(root, "echo", "r", 1), ["r", 1]);
  assert.deepEqual(await t.emitAck(other, "echo", "o", { two: 2 }), ["o", { two: 2 }]);
  const otherEchoes = t.recorder(other, "echo");
  const rootEchoes = t.recorder(root, "echo");
  other.emit("echo", "to-other-only");
  await otherEchoes.waitFor(1);
  assert.deepEqual(otherEchoes.items[0], ["to-other-only"]);
  root.emit("echo", "to-root-only");
  await rootEchoes.waitFor(1);
  assert.deepEqual(rootEchoes.items[0], ["to-root-only"]);

  step("whoami on /admin");
  assert.deepEqual(await t.emitAck(admin, "whoami"), ["/admin", admin.id]);

  step("namespace-specific handlers: /admin has no echo, /other has no whoami");
  await assert.rejects(admin.timeout(300).emitWithAck("echo", 1), { message: "operation has timed out" });
  await assert.rejects(other.timeout(300).emitWithAck("whoami"), { message: "operation has timed out" });

  step('client-side disconnect of "/other" leaves the rest working');
  const reason = t.once(other, "disconnect");
  other.disconnect();
  assert.equal((await reason)[0], "io client disconnect");
  assert.equal(other.connected, false);
  assert.ok(root.connected && admin.connected);
  assert.deepEqual(await t.emitAck(root, "echo", "still"), ["still"]);
  assert.deepEqual(await t.emitAck(admin, "whoami"), ["/admin", admin.id]);
  assert.equal(manager.engine.id, engineId, "engine changed after /other disconnected");
  assert.equal(engineOpens, 1);
  assert.equal(rootEchoes.items.length, 1);

  step('reconnect "/other" on the same engine');
  other.connect();
  await t.waitConnect(other);
  assert.deepEqual(await t.emitAck(other, "echo", "back"), ["back"]);
  assert.equal(manager.engine.id, engineId);
  assert.equal(engineOpens, 1);
});
