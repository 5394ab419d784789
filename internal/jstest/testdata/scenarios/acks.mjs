// Acknowledgements in both directions.
import { scenario, assert } from "../lib/common.mjs";

scenario("acks", async (t) => {
  const { step, log } = t;

  step("connect");
  const socket = t.connect("/");
  let ignored = 0;
  // Server -> client events that the client acknowledges / never acknowledges.
  socket.on("please-ack", (payload, ack) => {
    assert.equal(typeof ack, "function", "server did not request an ack");
    ack({ got: payload }, "second arg is dropped by the fixture");
  });
  socket.on("never-ack", (payload, ack) => {
    assert.equal(typeof ack, "function", "server did not request an ack");
    ignored++;
  });
  await t.waitConnect(socket);

  step("client->server ack with multiple args");
  const args = ["one", 2, { three: [3] }, null, true, [4, "five"]];
  assert.deepEqual(await t.emitAck(socket, "echo", ...args), args);

  step("client->server empty ack");
  const empty = await t.emitAck(socket, "echo");
  assert.deepEqual(empty, [], "ack for an echo without arguments must have no arguments");

  step("client.timeout(2000).emitWithAck");
  assert.deepEqual(await socket.timeout(2000).emitWithAck("echo", { k: "v" }), { k: "v" });
  assert.equal(await socket.emitWithAck("echo", "no timeout"), "no timeout");

  step("many concurrent acks resolve to the right callers");
  const many = await Promise.all(
    Array.from({ length: 50 }, (_, i) => socket.timeout(2000).emitWithAck("echo", i)),
  );
  assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => i));

  step("server->client ack answered by the client");
  const answered = await socket.timeout(5000).emitWithAck("request-ack", "please-ack", { x: 1 }, 2000);
  assert.deepEqual(answered, { response: { got: { x: 1 } } });
  const answered2 = await socket.timeout(5000).emitWithAck("request-ack", "please-ack", "str", 2000);
  assert.deepEqual(answered2, { response: { got: "str" } });

  step("server->client ack never answered -> server-side timeout");
  const t0 = Date.now();
  const timedOut = await socket.timeout(5000).emitWithAck("request-ack", "never-ack", { y: 2 }, 300);
  const elapsed = Date.now() - t0;
  log(`server timeout reported after ${elapsed} ms`);
  assert.deepEqual(timedOut, { error: "operation has timed out" });
  assert.equal(ignored, 1, "the never-ack handler was not called exactly once");
  assert.ok(elapsed >= 250, `server reported the timeout too early (${elapsed} ms < 300 ms)`);

  step("client-side timeout on an event the server never acks");
  await assert.rejects(socket.timeout(300).emitWithAck("no-such-event", 1), {
    message: "operation has timed out",
  });

  step("connection still healthy");
  assert.equal(await socket.timeout(2000).emitWithAck("echo", "still here"), "still here");
});
