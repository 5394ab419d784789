// Dynamic namespaces: a regexp parent (/^\/dyn-\d+$/) with a middleware, a
// function parent (/fn-* with auth.allow), and broadcasting to every child of
// the regexp parent.
import { scenario, assert } from "../lib/common.mjs";

// Unique child names so that reruns against the same server start from
// namespaces that do not exist yet.
const n = Date.now() % 1e9;

scenario("dynamic", async (t) => {
  const { step, log } = t;

  for (const transport of ["polling", "websocket"]) {
    const tag = `[${transport}]`;
    const base = n * 10 + (transport === "polling" ? 0 : 5);
    const dynA = `/dyn-${base}`;
    const dynB = `/dyn-${base + 1}`;
    const dynRefused = `/dyn-${base + 2}`;
    const fnA = `/fn-${base}`;
    const fnB = `/fn-${base + 1}`;
    const opts = { transports: [transport] };

    step(`${tag} ${dynA} with auth.ok: connects, whoami gives the child's name`);
    const a = t.connect(dynA, { ...opts, auth: { ok: true } });
    await t.waitConnect(a);
    assert.deepEqual(await t.emitAck(a, "whoami"), [dynA, a.id]);

    step(`${tag} ${dynRefused} without auth.ok: middleware error "dyn refused" with data`);
    const refused = t.connect(dynRefused, { ...opts, auth: { ok: "yes" } });
    const [err] = await t.once(refused, "connect_error");
    assert.equal(err.message, "dyn refused");
    assert.deepEqual(err.data, { ns: dynRefused });
    assert.equal(refused.active, false, "socket must not retry after a middleware error");
    refused.disconnect();

    step(`${tag} the middleware also runs for an existing child (${dynA} without auth)`);
    const again = t.connect(dynA, opts);
    const [err2] = await t.once(again, "connect_error");
    assert.equal(err2.message, "dyn refused");
    assert.deepEqual(err2.data, { ns: dynA });
    again.disconnect();

    step(`${tag} names that do not match the regexp are invalid namespaces`);
    for (const bad of ["/dyn-", "/dyn-x1", `/dyn-${base}x`, `/xdyn-${base}`, `/dyn-${base}/sub`]) {
      const s = t.connect(bad, { ...opts, auth: { ok: true } });
      const [e] = await t.once(s, "connect_error");
      assert.equal(e.message, "Invalid namespace", `namespace ${bad}`);
      assert.equal(s.active, false);
      s.disconnect();
    }

    step(`${tag} function parent: ${fnA} with auth.allow connects`);
    const f = t.connect(fnA, { ...opts, auth: { allow: true } });
    await t.waitConnect(f);
    assert.deepEqual(await t.emitAck(f, "whoami"), [fnA, f.id]);

    step(`${tag} function parent: ${fnB} without auth.allow is an invalid namespace`);
    const fb = t.connect(fnB, { ...opts, auth: { allow: 1 } });
    const [e3] = await t.once(fb, "connect_error");
    assert.equal(e3.message, "Invalid namespace");
    fb.disconnect();

    step(`${tag} function parent: once ${fnA} exists, it is not asked again`);
    const f2 = t.connect(fnA, opts);
    await t.waitConnect(f2);
    assert.deepEqual(await t.emitAck(f2, "whoami"), [fnA, f2.id]);
    f2.disconnect();

    step(`${tag} one manager multiplexing "/", ${dynA}, ${dynB}, ${fnA}`);
    const m = t.manager(opts);
    const root = m.socket("/");
    const ma = m.socket(dynA, { auth: { ok: true } });
    const mb = m.socket(dynB, { auth: { ok: true } });
    const mf = m.socket(fnA);
    await Promise.all([root, ma, mb, mf].map((s) => t.waitConnect(s)));
    assert.equal(new Set([root.id, ma.id, mb.id, mf.id]).size, 4, "socket ids must be distinct");
    assert.deepEqual(await t.emitAck(mb, "whoami"), [dynB, mb.id]);
    assert.deepEqual(await t.emitAck(mf, "whoami"), [fnA, mf.id]);

    step(`${tag} dyn-broadcast reaches every child of the regexp parent only`);
    const recs = {
      a: t.recorder(a, "dyn-news"),
      ma: t.recorder(ma, "dyn-news"),
      mb: t.recorder(mb, "dyn-news"),
      f: t.recorder(f, "dyn-news"),
      mf: t.recorder(mf, "dyn-news"),
      root: t.recorder(root, "dyn-news"),
    };
    const payload = { n: 1, s: "héllo" };
    assert.deepEqual(await t.emitAck(root, "dyn-broadcast", "dyn-news", payload), [true]);
    for (const k of ["a", "ma", "mb"]) {
      const items = await recs[k].waitFor(1);
      assert.deepEqual(items[0], [payload], `${k} got a wrong dyn-news`);
    }
    // Barrier: an ack round trip on each non-recipient before the absence check.
    await Promise.all([t.emitAck(f, "whoami"), t.emitAck(mf, "whoami"), t.emitAck(root, "rooms")]);
    await t.expectNone({ f: recs.f, mf: recs.mf, root: recs.root });
    await t.expectNone({ a: recs.a, ma: recs.ma, mb: recs.mb }, 0, 1);

    step(`${tag} a disconnected child no longer receives the broadcast`);
    ma.disconnect();
    assert.deepEqual(await t.emitAck(root, "dyn-broadcast", "dyn-news", 2), [true]);
    await recs.a.waitFor(2);
    await recs.mb.waitFor(2);
    assert.deepEqual(recs.a.items[1], [2]);
    await t.expectNone({ ma: recs.ma }, undefined, 1);
    log(`${tag} done`);
    m._close();
    a.disconnect();
    f.disconnect();
  }
});
