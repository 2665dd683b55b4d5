// The validation page of `layer-identity serve` in headless Chromium (Debian's, driven by
// playwright-core): all three tools clicked through, by mouse and by keyboard, screenshots
// saved under target/browser-screenshots/, and every request the page makes checked to go to
// the page's own origin and nowhere else.
//
//   node cli/tests/browser/test.mjs [--update-readme-screenshot]
//
// LAYER_IDENTITY_BIN names the binary (default target/release/layer-identity);
// CHROMIUM the browser (default /usr/bin/chromium).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const binary = process.env.LAYER_IDENTITY_BIN || path.join(repo, "target/release/layer-identity");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = path.join(repo, "target/browser-screenshots");
const readmeShot = path.join(repo, "cli/docs/validation-page.png");
const PROVIDER_ID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f";
const KEY_ID = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f";
const SECRET = "browser-test-service-token-0123456789";
const TIMEOUT = 60_000; // generous: the machine may be busy

let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok ${name}`);
  } catch (failure) {
    failed += 1;
    console.log(`FAILED ${name}: ${failure.stack || failure}`);
  }
}

/** Starts `layer-identity serve` on a free port; resolves to {url, stop}. */
async function serve(extraEnv = {}) {
  const env = { ...process.env, PORT: "0", HOST: "127.0.0.1" };
  for (const name of ["LAYER_PRIVATE_KEY", "LAYER_PRIVATE_KEY_PASSPHRASE", "LAYER_TOKEN_TYPE", "LAYER_SERVICE_TOKEN"]) {
    delete env[name];
  }
  Object.assign(env, {
    LAYER_PROVIDER_ID: PROVIDER_ID,
    LAYER_KEY_ID: KEY_ID,
    LAYER_PRIVATE_KEY_PATH: path.join(repo, "vectors/keys/rsa2048.pkcs8.pem"),
    ...extraEnv,
  });
  const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  const url = await new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /^listening on (http:\/\/\S+)\n/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error("serve did not start")), TIMEOUT);
  });
  return {
    url,
    stderr: () => stderr,
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/** A fresh browser profile and page; every request recorded, any to another origin blocked. */
async function browse(origin) {
  const profile = await mkdtemp(path.join(tmpdir(), "layer-identity-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
  // Counts every change of the verdict, so that a check waits for the verdict its own action
  // brought, not the one the check before it left (a busy machine shows that one first).
  await context.addInitScript(() => {
    window.verdictChanges = 0;
    document.addEventListener("DOMContentLoaded", () => {
      new MutationObserver(() => { window.verdictChanges += 1; }).observe(document.getElementById("verdict"),
        { childList: true, characterData: true, subtree: true });
    });
  });
  const requests = [];
  const elsewhere = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    if (new URL(url).origin !== origin) {
      elsewhere.push(url);
      return route.abort();
    }
    return route.continue();
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  // Answers such as a 400 for a bad provider ID are the tools' business, not errors of the page.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      errors.push(message.text());
    }
  });
  return {
    page,
    requests,
    elsewhere,
    errors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const verdict = (page) => page.locator("#verdict");

// The verdict changes seen by the last waitForVerdict of each page.
const verdictChangesSeen = new WeakMap();

// Waits for a new verdict (changed since the last call) that starts with `prefix`.
async function waitForVerdict(page, prefix) {
  const seen = verdictChangesSeen.get(page) ?? 0;
  const changes = await page.waitForFunction(
    ([text, before]) => window.verdictChanges > before &&
      document.getElementById("verdict").textContent.startsWith(text) && window.verdictChanges,
    [prefix, seen],
    { timeout: TIMEOUT },
  );
  verdictChangesSeen.set(page, await changes.jsonValue());
  return verdict(page).textContent();
}

async function rules(page) {
  return page.$$eval("#rules tr", (rows) =>
    rows.map((row) => ({ rule: row.dataset.rule, result: row.dataset.result, eit: row.children[2].textContent })));
}

async function main() {
  await mkdir(shots, { recursive: true });
  const server = await serve();
  const origin = new URL(server.url).origin;
  const browser = await browse(origin);
  const { page } = browser;
  try {
    await check("the page loads with a Content-Security-Policy of its own origin", async () => {
      const response = await page.goto(server.url + "/");
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-security-policy"], /^default-src 'self'/);
      await page.waitForFunction(() => document.getElementById("service-info").textContent.includes("signs as"));
      assert.equal(await page.inputValue("#provider-id"), PROVIDER_ID);
      assert.equal(await page.inputValue("#key-id"), KEY_ID);
      assert.equal(await page.isHidden("#service-token-row"), true);
    });

    await check("mint a test token, from the keyboard", async () => {
      await page.focus("#mint-user-id");
      await page.keyboard.type("alice@example.com");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), "mint-nonce");
      await page.keyboard.type("nonce-from-the-sdk");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.getElementById("minted-token").value.split(".").length === 3);
      assert.match(await page.textContent("#mint-status"), /^Minted a token for alice@example\.com/);
      await page.locator("#mint-tool").screenshot({ path: path.join(shots, "mint.png") });
    });

    await check("validate the minted token: Token valid., every rule passes", async () => {
      await page.click("#validate-minted");
      const text = await waitForVerdict(page, "Token valid.");
      assert.equal(text, "Token valid.");
      const table = await rules(page);
      assert.equal(table.length, 16);
      assert.deepEqual(table.filter((r) => r.result !== "pass"), []);
      assert.ok(table.some((r) => r.eit === "eit_signature_verification_failed"));
      assert.match(await page.textContent("#claims-json"), /"prn": "alice@example\.com"/);
      assert.match(await page.textContent("#times"), /Expires \(exp\).*UTC.*expires in/s);
      await page.locator("#validate-tool").screenshot({ path: path.join(shots, "validate-valid.png") });
    });

    await check("the clock and the nonce: eit_expired and eit_nonce_not_found show together", async () => {
      await page.fill("#now", new Date(Date.now() + 3_600_000).toISOString());
      await page.fill("#nonce", "another-nonce");
      await page.click("#validate");
      const text = await waitForVerdict(page, "eit_");
      assert.match(text, /^eit_expired: /);
      const failing = (await rules(page)).filter((r) => r.result === "fail").map((r) => r.eit);
      assert.deepEqual(failing, ["eit_expired", "eit_nonce_not_found"]);
      assert.match(await page.textContent("#verdict-hint"), /^Hint: /);
      assert.match(await page.textContent("#times"), /expired/);
      await page.fill("#now", "");
      await page.fill("#nonce", "");
    });

    await check("generate a key pair: the private key shown once, the public key ready", async () => {
      await page.selectOption("#keygen-bits", "2048");
      await page.click("#generate");
      await page.waitForFunction(() => document.getElementById("private-key").value.startsWith("-----BEGIN PRIVATE KEY-----"));
      assert.match(await page.inputValue("#generated-public-key"), /^-----BEGIN PUBLIC KEY-----/);
      assert.match(await page.textContent("#keygen-status"), /not kept anywhere/);
      const privateKey = await page.inputValue("#private-key");
      await page.locator("#keygen-tool").screenshot({ path: path.join(shots, "keygen.png") });
      const body = privateKey.split("\n").filter((l) => !l.startsWith("-----")).join("");
      assert.ok(!server.stderr().includes(body.slice(0, 40)), "the service logged the private key");
      await page.click("#clear-private-key");
      assert.equal(await page.inputValue("#private-key"), "");
    });

    await check("validate with the generated public key: eit_signature_verification_failed", async () => {
      await page.click("#use-public-key");
      assert.equal(await page.evaluate(() => document.activeElement.id), "public-key");
      await page.click("#validate");
      const text = await waitForVerdict(page, "eit_");
      assert.match(text, /^eit_signature_verification_failed: /);
      const table = await rules(page);
      assert.equal(table.find((r) => r.rule === "signature").result, "fail");
      assert.equal(table.find((r) => r.rule === "issuer").result, "pass");
      await page.locator("#validate-tool").screenshot({ path: path.join(shots, "validate-bad-signature.png") });
      if (process.argv.includes("--update-readme-screenshot")) {
        await mkdir(path.dirname(readmeShot), { recursive: true });
        await copyFile(path.join(shots, "validate-bad-signature.png"), readmeShot);
      }
      await page.fill("#public-key", "");
    });

    await check("a pasted token that is not one, submitted with Ctrl+Enter", async () => {
      await page.fill("#token", "abc");
      await page.focus("#token");
      await page.keyboard.press("Control+Enter");
      const text = await waitForVerdict(page, "eit_");
      assert.match(text, /^eit_wrong_jws_part_count: /);
      const table = await rules(page);
      assert.equal(table.find((r) => r.rule === "part_count").result, "fail");
      assert.equal(table.find((r) => r.rule === "signature").result, "not_checked");
      await page.fill("#token", "<img src=x onerror=alert(1)>.e30.e30");
      await page.click("#validate");
      await waitForVerdict(page, "eit_");
      assert.equal(await page.$$eval("#report img", (images) => images.length), 0);
    });

    await check("a configuration error is said in the verdict", async () => {
      await page.fill("#token", "a.b.c");
      await page.fill("#provider-id", "your-provider-id");
      await page.click("#validate");
      const text = await waitForVerdict(page, "Cannot validate: ");
      assert.match(text, /provider/i);
      await page.fill("#provider-id", PROVIDER_ID);
      await page.screenshot({ path: path.join(shots, "page.png"), fullPage: true });
    });

    await check("nothing went anywhere but the page's origin", async () => {
      assert.deepEqual(browser.elsewhere, []);
      assert.ok(browser.requests.length >= 8, browser.requests.join("\n"));
      assert.ok(browser.requests.every((url) => new URL(url).origin === origin));
      assert.deepEqual(browser.errors, []);
    });
  } finally {
    await browser.close();
    await server.stop();
  }

  // A service that requires its token: the page asks for it.
  const guarded = await serve({ LAYER_SERVICE_TOKEN: SECRET });
  const second = await browse(new URL(guarded.url).origin);
  try {
    await check("with LAYER_SERVICE_TOKEN the tools need it, and work with it", async () => {
      const page2 = second.page;
      await page2.goto(guarded.url + "/");
      await page2.waitForSelector("#service-token", { state: "visible" });
      await page2.fill("#mint-user-id", "bob");
      await page2.fill("#mint-nonce", "n-1");
      await page2.click("#mint");
      await page2.waitForFunction(() => document.getElementById("mint-status").textContent.startsWith("Cannot mint"));
      assert.match(await page2.textContent("#mint-status"), /Service token/);
      await page2.fill("#service-token", SECRET);
      await page2.click("#mint");
      await page2.waitForFunction(() => document.getElementById("mint-status").textContent.startsWith("Minted"));
      await page2.click("#validate-minted");
      assert.equal(await waitForVerdict(page2, "Token valid."), "Token valid.");
      assert.deepEqual(second.elsewhere, []);
      assert.ok(!guarded.stderr().includes(SECRET));
    });
  } finally {
    await second.close();
    await guarded.stop();
  }

  console.log(`browser: ${passed} passed, ${failed} failed (screenshots in ${path.relative(repo, shots)}/)`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((failure) => {
  console.error(failure);
  process.exitCode = 1;
});
