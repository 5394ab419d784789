// Broadcasts that expect acknowledgements from every recipient
// (io.to(room).timeout(ms).emit(..., cb) and io.timeout(ms).emit(..., cb)).
//
// The io-wide case (room = null) reaches every socket of "/", including those
// of other scenarios running in parallel against the same server, which never
// answer "question": then the answers of this scenario's sockets are still
// collected, but the result is a timeout. Only the room cases are exact either
// way.
import { scenario, assert } from "../lib/common.mjs";

scenario("broadcast-ack", async (t) => {
  const { step, log } = t;
  const room = `bcack-${process.pid}-${Date.now()}`;
  const TIMEOUT_MS = 400;

  step("connect a (websocket), b (polling), c (websocket) and join them to one room");
  const a = t.connect("/", { transports: ["websocket"] });
  const b = t.connect("/", { transports: ["polling"] });
  const c = t.connect("/", { transports: ["websocket"] });
  const answers = { a: true, b: true, c: false };
  const questions = {};
  for (const [name, s] of Object.entries({ a, b, c })) {
    questions[name] = [];
    s.on("question", (payload, ack) => {
      assert.equal(typeof ack, "function", `${name}: "question" must request an ack`);
      questions[name].push(payload);
      if (answers[name]) ack(name, "extra args are ignored");
    });
  }
  await Promise.all([a, b, c].map((s) => t.waitConnect(s)));
  for (const s of [a, b, c]) assert.deepEqual(await t.emitAck(s, "join", room), [true]);

  step("c never answers: timeout error with the two answers received");
  let t0 = Date.now();
  let [res] = await t.emitAck(a, "broadcast-ack", room, TIMEOUT_MS);
  let elapsed = Date.now() - t0;
  log(`result after ${elapsed} ms:`, JSON.stringify(res));
  assert.deepEqual(res, { error: "operation has timed out", responses: ["a", "b"] });
  assert.ok(elapsed >= TIMEOUT_MS - 5, `timeout reported too early (${elapsed} ms < ${TIMEOUT_MS} ms)`);
  for (const name of ["a", "b", "c"]) {
    assert.deepEqual(questions[name], [{ from: a.id }], `${name} got the question a wrong number of times`);
  }

  step("everyone answers: no error, all three answers, before the timeout");
  answers.c = true;
  t0 = Date.now();
  [res] = await t.emitAck(b, "broadcast-ack", room, 3000);
  elapsed = Date.now() - t0;
  log(`result after ${elapsed} ms:`, JSON.stringify(res));
  assert.deepEqual(res, { error: null, responses: ["a", "b", "c"] });
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  for (const name of ["a", "b", "c"]) {
    assert.deepEqual(questions[name][1], { from: b.id });
  }

  step("a room nobody is in: no error, no responses, at once");
  t0 = Date.now();
  [res] = await t.emitAck(c, "broadcast-ack", room + "-empty", 3000);
  elapsed = Date.now() - t0;
  assert.deepEqual(res, { error: null, responses: [] });
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);

  step("only the room's members are asked");
  assert.deepEqual(await t.emitAck(c, "leave", room), [true]);
  [res] = await t.emitAck(c, "broadcast-ack", room, 3000);
  assert.deepEqual(res, { error: null, responses: ["a", "b"] });
  assert.equal(questions.c.length, 2, "c got a question after leaving the room");

  step("io-wide (room null): every socket of the namespace is asked, sender included");
  const IO_WIDE_MS = 1000;
  t0 = Date.now();
  [res] = await t.emitAck(a, "broadcast-ack", null, IO_WIDE_MS);
  elapsed = Date.now() - t0;
  log(`io-wide result after ${elapsed} ms:`, JSON.stringify(res));
  // null when this scenario has the server to itself, a timeout when sockets
  // of other scenarios are connected too.
  assert.ok(
    res.error === null || res.error === "operation has timed out",
    `unexpected error ${JSON.stringify(res.error)}`,
  );
  if (res.error === null) assert.ok(elapsed < IO_WIDE_MS, `took ${elapsed} ms`);
  assert.deepEqual(res.responses, ["a", "b", "c"]);
  for (const name of ["a", "b", "c"]) {
    assert.equal(questions[name].at(-1).from, a.id);
  }

  step("io-wide with one silent socket: timeout error, partial responses");
  answers.a = false;
  t0 = Date.now();
  [res] = await t.emitAck(b, "broadcast-ack", null, TIMEOUT_MS);
  elapsed = Date.now() - t0;
  assert.deepEqual(res, { error: "operation has timed out", responses: ["b", "c"] });
  assert.ok(elapsed >= TIMEOUT_MS - 5, `timeout reported too early (${elapsed} ms)`);

  step("connections still healthy");
  for (const s of [a, b, c]) assert.deepEqual(await t.emitAck(s, "echo", "ok"), ["ok"]);
});
