// Rooms, except, broadcast and room membership with three clients using
// different transports (A: websocket, B: default/upgrade, C: polling).
import { scenario, assert } from "../lib/common.mjs";

scenario("rooms", async (t) => {
  const { step, log, expectNone } = t;
  // Unique event names per run, so concurrent runs against one server cannot
  // interfere with each other.
  const tag = Math.random().toString(36).slice(2, 8);
  const ev = (name) => `${name}-${tag}`;

  step("connect A (websocket), B (default), C (polling)");
  const A = t.connect("/", { transports: ["websocket"] });
  const B = t.connect("/");
  const C = t.connect("/", { transports: ["polling"] });
  await Promise.all([A, B, C].map((s) => t.waitConnect(s)));
  log("ids", A.id, B.id, C.id);
  const rec = (name) => ({
    A: t.recorder(A, ev(name)),
    B: t.recorder(B, ev(name)),
    C: t.recorder(C, ev(name)),
  });

  step("initial rooms: each socket is in its own room only");
  for (const s of [A, B, C]) {
    assert.deepEqual(await s.timeout(5000).emitWithAck("rooms"), [s.id]);
  }

  step("A and B join r1");
  assert.equal(await A.timeout(5000).emitWithAck("join", "r1"), true);
  assert.equal(await B.timeout(5000).emitWithAck("join", "r1"), true);

  step("C emits to-room r1 -> A and B receive it, C does not");
  const r1 = rec("r1");
  const payload = { hello: "r1", n: [1, 2, 3] };
  assert.equal(await C.timeout(5000).emitWithAck("to-room", "r1", ev("r1"), payload), true);
  await r1.A.waitFor(1);
  await r1.B.waitFor(1);
  assert.deepEqual(r1.A.items[0], [payload]);
  assert.deepEqual(r1.B.items[0], [payload]);
  await expectNone({ C: r1.C }, undefined, 0);
  await expectNone({ A: r1.A, B: r1.B }, 0, 1); // exactly once

  step("B emits to-room r1 -> the sender gets it too (it is in the room)");
  assert.equal(await B.timeout(5000).emitWithAck("to-room", "r1", ev("r1"), "second"), true);
  await r1.A.waitFor(2);
  await r1.B.waitFor(2);
  assert.deepEqual(r1.A.items[1], ["second"]);
  assert.deepEqual(r1.B.items[1], ["second"]);
  await expectNone({ A: r1.A, B: r1.B }, undefined, 2);
  assert.equal(r1.C.items.length, 0);

  step("A joins x; to-room-except r1 x -> only B");
  assert.equal(await A.timeout(5000).emitWithAck("join", "x"), true);
  const exc = rec("except");
  assert.equal(await C.timeout(5000).emitWithAck("to-room-except", "r1", "x", ev("except"), [true]), true);
  await exc.B.waitFor(1);
  assert.deepEqual(exc.B.items[0], [[true]]);
  await expectNone({ A: exc.A, C: exc.C });
  assert.equal(exc.B.items.length, 1);

  step("to-room-except where the sender is in the room but excepted");
  const exc2 = rec("except2");
  assert.equal(await A.timeout(5000).emitWithAck("to-room-except", "r1", "x", ev("except2"), 7), true);
  await exc2.B.waitFor(1);
  await expectNone({ A: exc2.A, C: exc2.C });

  step("broadcast from A -> B and C, not A");
  const bc = rec("bcast");
  assert.equal(await A.timeout(5000).emitWithAck("broadcast", ev("bcast"), { from: "A" }), true);
  await bc.B.waitFor(1);
  await bc.C.waitFor(1);
  assert.deepEqual(bc.B.items[0], [{ from: "A" }]);
  assert.deepEqual(bc.C.items[0], [{ from: "A" }]);
  await expectNone({ A: bc.A });
  assert.equal(bc.B.items.length, 1);
  assert.equal(bc.C.items.length, 1);

  step("rooms of A are [id, r1, x] sorted");
  assert.deepEqual(await A.timeout(5000).emitWithAck("rooms"), [A.id, "r1", "x"].sort());
  assert.deepEqual(await B.timeout(5000).emitWithAck("rooms"), [B.id, "r1"].sort());
  assert.deepEqual(await C.timeout(5000).emitWithAck("rooms"), [C.id]);

  step("joining twice is idempotent");
  assert.equal(await A.timeout(5000).emitWithAck("join", "x"), true);
  assert.deepEqual(await A.timeout(5000).emitWithAck("rooms"), [A.id, "r1", "x"].sort());

  step("A leaves r1 -> to-room r1 reaches only B");
  assert.equal(await A.timeout(5000).emitWithAck("leave", "r1"), true);
  assert.deepEqual(await A.timeout(5000).emitWithAck("rooms"), [A.id, "x"].sort());
  const left = rec("left");
  assert.equal(await C.timeout(5000).emitWithAck("to-room", "r1", ev("left"), "after leave"), true);
  await left.B.waitFor(1);
  await expectNone({ A: left.A, C: left.C });

  step("leaving a room one is not in is harmless");
  assert.equal(await C.timeout(5000).emitWithAck("leave", "r1"), true);
  assert.deepEqual(await C.timeout(5000).emitWithAck("rooms"), [C.id]);

  step("each socket's own id is a room");
  const own = rec("own");
  assert.equal(await A.timeout(5000).emitWithAck("to-room", C.id, ev("own"), "private"), true);
  await own.C.waitFor(1);
  assert.deepEqual(own.C.items[0], ["private"]);
  await expectNone({ A: own.A, B: own.B });

  step("a disconnected socket leaves its rooms");
  B.disconnect();
  const gone = rec("gone");
  assert.equal(await A.timeout(5000).emitWithAck("join", "r1"), true);
  assert.equal(await C.timeout(5000).emitWithAck("to-room", "r1", ev("gone"), "x"), true);
  await gone.A.waitFor(1);
  await expectNone({ B: gone.B, C: gone.C });
});
