// Catch-all listeners on the server (socket.onAny / socket.onAnyOutgoing),
// read back through the "any-log" event.
//
// Other scenarios may run in parallel against the same server and broadcast
// to every socket of "/" (e.g. rooms.mjs), so outgoing logs are filtered to
// the event names this scenario uses (broadcast names carry a unique suffix).
// Incoming logs only hold what this scenario's own sockets sent: exact.
import { scenario, assert } from "../lib/common.mjs";

scenario("catchall", async (t) => {
  const { step, log } = t;
  const uniq = `${process.pid}-${Date.now()}`;
  const room = `catchall-${uniq}`;
  const NEWS = `news-${uniq}`;
  const BCAST = `bcast-${uniq}`;
  const ours = new Set(["welcome", "echo", "please-ack", NEWS, BCAST]);
  const outgoing = (logObj) => logObj.outgoing.filter(([event]) => ours.has(event));

  step("connect a (websocket) and b (polling)");
  const a = t.connect("/", { transports: ["websocket"] });
  const b = t.connect("/", { transports: ["polling"] });
  const rec = {
    aWelcome: t.recorder(a, "welcome"),
    bWelcome: t.recorder(b, "welcome"),
    aEcho: t.recorder(a, "echo"),
    aNews: t.recorder(a, NEWS),
    bNews: t.recorder(b, NEWS),
    aBcast: t.recorder(a, BCAST),
    bBcast: t.recorder(b, BCAST),
  };
  a.on("please-ack", (payload, ack) => ack("answer to " + payload));
  await Promise.all([t.waitConnect(a), t.waitConnect(b)]);
  await rec.aWelcome.waitFor(1);
  await rec.bWelcome.waitFor(1);

  step("a fresh socket's log: incoming is just this any-log call, outgoing just welcome");
  const [fresh] = await t.emitAck(b, "any-log");
  log("fresh log of b:", JSON.stringify(fresh));
  assert.deepEqual(fresh.incoming, [["any-log"]]);
  assert.deepEqual(outgoing(fresh), [["welcome", { id: b.id }]]);
  assert.deepEqual(fresh.outgoing[0], ["welcome", { id: b.id }], "welcome must be the first outgoing entry");

  step("traffic on a: acked echo, echo event, unknown event, room broadcast, server->client ack");
  assert.deepEqual(await t.emitAck(a, "echo", "x", 1, { k: [true, null] }), ["x", 1, { k: [true, null] }]);
  a.emit("echo", { y: "é😀" });
  await rec.aEcho.waitFor(1);
  a.emit("no-such-event", 1, [2]);
  assert.deepEqual(await t.emitAck(a, "echo"), []);
  assert.deepEqual(await t.emitAck(a, "join", room), [true]);
  assert.deepEqual(await t.emitAck(b, "join", room), [true]);
  assert.deepEqual(await t.emitAck(a, "to-room", room, NEWS, { n: 1 }), [true]);
  await rec.aNews.waitFor(1);
  await rec.bNews.waitFor(1);
  assert.deepEqual(await t.emitAck(b, "broadcast", BCAST, "hi"), [true]);
  await rec.aBcast.waitFor(1);
  assert.deepEqual(await t.emitAck(a, "request-ack", "please-ack", 5, 2000), [{ response: "answer to 5" }]);

  step("any-log of a");
  const [logA] = await t.emitAck(a, "any-log");
  log("log of a:", JSON.stringify(logA));
  assert.deepEqual(logA.incoming, [
    ["echo", "x", 1, { k: [true, null] }],
    ["echo", { y: "é😀" }],
    ["no-such-event", 1, [2]],
    ["echo"],
    ["join", room],
    ["to-room", room, NEWS, { n: 1 }],
    ["request-ack", "please-ack", 5, 2000],
    ["any-log"],
  ]);
  // Acks (replies to the client's acked emits) are not outgoing events; an
  // event emitted with an ack callback is logged without the callback.
  assert.deepEqual(outgoing(logA), [
    ["welcome", { id: a.id }],
    ["echo", { y: "é😀" }],
    [NEWS, { n: 1 }],
    [BCAST, "hi"],
    ["please-ack", 5],
  ]);

  step("any-log of b: broadcasts from other sockets are outgoing too, own broadcast excluded");
  const [logB] = await t.emitAck(b, "any-log");
  log("log of b:", JSON.stringify(logB));
  assert.deepEqual(logB.incoming, [["any-log"], ["join", room], ["broadcast", BCAST, "hi"], ["any-log"]]);
  assert.deepEqual(outgoing(logB), [
    ["welcome", { id: b.id }],
    [NEWS, { n: 1 }],
  ]);
  assert.equal(rec.bBcast.items.length, 0, "b received its own broadcast");

  step("the log is per socket and keeps growing");
  const [logA2] = await t.emitAck(a, "any-log");
  assert.deepEqual(logA2.incoming, [...logA.incoming, ["any-log"]]);
  assert.deepEqual(outgoing(logA2), outgoing(logA));
});
