// Shared body of scenarios/polling.mjs and scenarios/websocket.mjs.

import { assert, WAIT_MS } from "./common.mjs";

export const VALUES = [
  ["string", "hello"],
  ["empty string", ""],
  ["integer", 42],
  ["negative float", -3.25],
  ["zero", 0],
  ["null", null],
  ["true", true],
  ["false", false],
  ["nested", { a: [1, "two", { three: [null, false, { deep: "x" }] }], b: {}, c: [] }],
  ["array", [1, [2, [3, [4]]], { k: "v" }]],
  ["unicode", "héllo wörld ✓ 日本語 😀👍🏽 \u2028 \u2029 \u0000 \"quotes\" \\ / \n\t"],
  ["unicode keys", { "ключ 🔑": "значение", "\u2028": "ls" }],
  ["100 KB string", "x".repeat(50 * 1024) + "€".repeat(25 * 1024) + "😀".repeat(12 * 1024)],
];

export async function runBasic(t, transport) {
  const { step, log } = t;

  step(`connect with transports ["${transport}"]`);
  const socket = t.connect("/", { transports: [transport] });
  const welcome = t.recorder(socket, "welcome");
  const echoes = t.recorder(socket, "echo");
  await t.waitConnect(socket);
  assert.equal(typeof socket.id, "string");
  assert.ok(socket.id.length > 0, "socket.id is empty");
  log("connected, id", socket.id);

  step("welcome carries socket.id");
  const [[w]] = await welcome.waitFor(1);
  assert.deepEqual(w, { id: socket.id });

  step("echo with ack, one value per emit");
  for (const [label, value] of VALUES) {
    const res = await t.emitAck(socket, "echo", value);
    assert.deepEqual(res, [value], `echo with ack of ${label}`);
    log("  ok:", label);
  }

  step("echo with ack, all values in one emit");
  const all = VALUES.map(([, v]) => v);
  assert.deepEqual(await t.emitAck(socket, "echo", ...all), all);

  step("echo with ack via emitWithAck");
  assert.equal(await socket.timeout(WAIT_MS).emitWithAck("echo", "ewa"), "ewa");

  step("echo without ack comes back as an echo event");
  for (const [i, [label, value]] of VALUES.entries()) {
    socket.emit("echo", value);
    const items = await echoes.waitFor(i + 1);
    assert.deepEqual(items[i], [value], `echo event of ${label}`);
  }
  socket.emit("echo", "a", 1, null, { b: [2] });
  const items = await echoes.waitFor(VALUES.length + 1);
  assert.deepEqual(items[VALUES.length], ["a", 1, null, { b: [2] }]);
  socket.emit("echo");
  const items2 = await echoes.waitFor(VALUES.length + 2);
  assert.deepEqual(items2[VALUES.length + 1], [], "echo event with no arguments");

  step(`transport is still "${transport}"`);
  assert.equal(socket.io.engine.transport.name, transport);
  assert.ok(socket.connected);
}
