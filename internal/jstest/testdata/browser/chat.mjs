// Drives the chat page of examples/chat (examples/internal/chatapp's
// index.html) in headless Chromium, as a person would: log in, wait until
// the socket is connected (and upgraded to WebSocket), join the room
// "lobby", send a message and see it in the log, then post a message to
// the room through the REST API with the page's token and see it arrive.
//
//   CHAT_URL=http://127.0.0.1:3000 node browser/chat.mjs
//
// The page must load the official client from somewhere this machine
// reaches (see chatapp.Config.ClientURL). Env CHROMIUM is the browser
// (default /usr/bin/chromium, Debian's package; never a downloaded one).
// Exits 0 on success; on failure prints the step, the error, the page's
// console and status, saves a screenshot and prints its path, and exits 1.
// Hard timeout: 50 s.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = (process.env.CHAT_URL || "").replace(/\/+$/, "");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const HARD_TIMEOUT_MS = 50000;
// Bound of each wait on the page.
const WAIT_MS = 15000;
const USER = "alice";
const ROOM = "lobby";

const started = Date.now();
let step = "(start)";
let context, page, profile;
const pageLog = []; // console messages, page errors, failed requests

const log = (...args) => console.log(`[chat +${String(Date.now() - started).padStart(5)}ms]`, ...args);

function begin(name) {
  step = name;
  log(name);
}

async function cleanup() {
  if (context) {
    await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    context = undefined;
  }
  if (profile) {
    rmSync(profile, { recursive: true, force: true });
    profile = undefined;
  }
}

let failing = false;
async function fail(err) {
  if (failing) return;
  failing = true;
  clearTimeout(hardTimer);
  // A second, short, bound for the report itself.
  setTimeout(() => process.exit(1), 8000).unref();
  console.error(`FAIL browser/chat: step "${step}"`);
  console.error(err && err.stack ? err.stack : String(err));
  if (page) {
    try {
      const dir = mkdtempSync(join(tmpdir(), "sio-chat-browser-"));
      const shot = join(dir, "failure.png");
      await page.screenshot({ path: shot, fullPage: true, timeout: 5000 });
      console.error(`screenshot: ${shot}`);
    } catch (e) {
      console.error(`no screenshot: ${e.message}`);
    }
    try {
      const state = await page.evaluate(() => ({
        status: document.getElementById("status")?.textContent,
        log: [...document.querySelectorAll("#log li")].map((li) => li.textContent),
        client: typeof io,
      }));
      console.error("page state:", JSON.stringify(state));
    } catch (e) {
      console.error(`no page state: ${e.message}`);
    }
  }
  if (pageLog.length) console.error("page console:\n  " + pageLog.join("\n  "));
  await cleanup();
  process.exit(1);
}

const hardTimer = setTimeout(
  () => fail(new Error(`hard timeout: not done within ${HARD_TIMEOUT_MS} ms`)),
  HARD_TIMEOUT_MS,
);
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

// logLine waits for a line of the chat log, exactly text.
async function logLine(text) {
  const exact = new RegExp("^" + text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$");
  await page.locator("#log li").filter({ hasText: exact }).first().waitFor({ state: "visible", timeout: WAIT_MS });
}

async function main() {
  if (!base) throw new Error("env CHAT_URL is not set (e.g. CHAT_URL=http://127.0.0.1:3000)");

  begin(`launch ${executablePath}`);
  profile = mkdtempSync(join(tmpdir(), "sio-chat-profile-")); // a fresh user-data-dir
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    timeout: WAIT_MS,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.setDefaultTimeout(WAIT_MS);
  page = context.pages()[0] || (await context.newPage());
  page.on("console", (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => pageLog.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => pageLog.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  // A dialog is the page's alert() on a failed login: report it, never block.
  page.on("dialog", (d) => {
    pageLog.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });

  begin(`open ${base}/`);
  const res = await page.goto(base + "/", { waitUntil: "load" });
  if (!res || res.status() !== 200) throw new Error(`GET /: ${res && res.status()}`);
  if ((await page.evaluate(() => typeof io)) !== "function") {
    throw new Error("the page did not load the Socket.IO client (io is not defined)");
  }

  begin(`log in as ${USER}`);
  await page.fill("#user", USER);
  await page.click("#login button");
  await page.locator("#chat").waitFor({ state: "visible" });
  const me = await page.textContent("#me");
  if (me !== USER) throw new Error(`logged in as ${JSON.stringify(me)}`);

  begin("wait for the connection");
  await page.waitForFunction(() => /^connected /.test(document.getElementById("status").textContent));
  begin("wait for the WebSocket upgrade");
  await page.waitForFunction(() => document.getElementById("status").textContent === "connected (websocket)");

  begin(`join ${ROOM}`);
  await page.fill("#room", ROOM);
  await page.click("#join button");
  await logLine(`joined ${ROOM}`);

  begin("send a message from the page");
  const mine = `hello from the browser ${Date.now()}`;
  await page.fill("#text", mine);
  await page.click("#send button");
  await logLine(`${USER}: ${mine}`);
  await page.waitForFunction(() => document.getElementById("text").value === ""); // acked

  begin("post a message through the REST API");
  const token = await page.evaluate("token"); // the page's own token
  if (typeof token !== "string" || token.split(".").length !== 3) throw new Error(`token ${token}`);
  const rest = `hello from REST ${Date.now()}`;
  const post = await fetch(`${base}/api/rooms/${ROOM}/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ text: rest }),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  if (post.status !== 204) throw new Error(`POST /api/rooms/${ROOM}/messages: ${post.status} ${await post.text()}`);
  begin("see the REST message on the page");
  await logLine(`${USER}: ${rest}`);

  const status = await page.textContent("#status");
  if (status !== "connected (websocket)") throw new Error(`status ${status} at the end`);

  begin("close");
  clearTimeout(hardTimer);
  await cleanup();
  log(`PASS browser/chat in ${Date.now() - started} ms`);
  process.exit(0);
}

main().catch(fail);
