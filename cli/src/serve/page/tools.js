// The identity token tools: every request goes to this page's own origin (relative URLs),
// and everything shown from a token goes through textContent, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
let config = null;

/** POSTs JSON (or a JSON-shaped body) to this service; returns {status, body}. */
async function call(path, payload, options = {}) {
  const headers = { "Content-Type": "application/json" };
  const secret = $("service-token").value.trim();
  if (secret) headers.Authorization = "Bearer " + secret;
  const response = await fetch(path, {
    method: options.method || "POST",
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
    cache: "no-store",
    credentials: "omit",
  });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  return { status: response.status, body };
}

function errorText(result) {
  if (result.status === 401) return "the service requires its token: fill in Service token above";
  const error = result.body && result.body.error;
  return error ? error.message : "the service answered " + result.status;
}

async function loadConfig() {
  try {
    const response = await fetch("/api/config", { cache: "no-store", credentials: "omit" });
    config = await response.json();
  } catch (failure) {
    $("service-info").textContent = "Cannot read the service's configuration: " + failure;
    return;
  }
  $("service-info").textContent =
    "This service signs as " + config.provider_id + " with key " + config.key_id +
    " (public key SHA-256 " + config.public_key_sha256.slice(0, 16) + "…).";
  $("service-token-row").hidden = !config.auth_required;
  if (!$("provider-id").value) $("provider-id").value = config.provider_id;
  if (!$("key-id").value) $("key-id").value = config.key_id;
  $("leeway").value = String(config.default_leeway);
}

/** The clock field as Unix seconds: null for now, or an error message. */
function clock() {
  const text = $("now").value.trim();
  if (!text) return { now: null };
  if (/^\d+$/.test(text)) return { now: Number(text) };
  const millis = Date.parse(text);
  if (Number.isNaN(millis)) {
    return { error: "the clock must be Unix seconds or a date like 2024-01-31T12:00:00Z" };
  }
  return { now: Math.floor(millis / 1000) };
}

function showVerdict(text, valid, hint) {
  const verdict = $("verdict");
  verdict.textContent = text;
  verdict.className = "verdict " + (valid ? "valid" : "invalid");
  $("verdict-hint").textContent = hint ? "Hint: " + hint : "";
}

const SYMBOLS = { pass: "✓ pass", fail: "✗ fail", not_checked: "– not checked" };

function showReport(report) {
  showVerdict(report.verdict, report.valid, report.hint);
  const rows = $("rules");
  rows.replaceChildren();
  for (const rule of report.rules) {
    const row = document.createElement("tr");
    row.dataset.rule = rule.rule;
    row.dataset.result = rule.result;
    const cells = [
      ["result", SYMBOLS[rule.result] || rule.result],
      ["description", rule.description],
      ["eit", rule.eit],
    ];
    for (const [name, text] of cells) {
      const cell = document.createElement("td");
      cell.className = name;
      cell.textContent = text;
      row.append(cell);
    }
    const detail = document.createElement("td");
    detail.className = "detail";
    detail.textContent = rule.message || "";
    if (rule.hint) {
      const hint = document.createElement("span");
      hint.className = "rule-hint";
      hint.textContent = "Hint: " + rule.hint;
      detail.append(hint);
    }
    row.append(detail);
    rows.append(row);
  }
  const times = $("times");
  times.replaceChildren();
  const time = (label, value) => {
    if (!value) return;
    const term = document.createElement("dt");
    term.textContent = label;
    const description = document.createElement("dd");
    description.textContent =
      value.utc + " (" + value.unix + ")" + (value.relative ? ", " + value.relative : "");
    times.append(term, description);
  };
  time("Issued at (iat)", report.times.iat);
  time("Expires (exp)", report.times.exp);
  time("Judged at", report.times.now);
  $("header-json").textContent = report.header || "(cannot be decoded)";
  $("claims-json").textContent = report.claims || "(cannot be decoded)";
  $("report").hidden = false;
}

async function validate(event) {
  if (event) event.preventDefault();
  const token = $("token").value.trim();
  if (!token) {
    showVerdict("Cannot validate: paste a token first.", false);
    $("report").hidden = true;
    return;
  }
  const time = clock();
  if (time.error) {
    showVerdict("Cannot validate: " + time.error + ".", false);
    $("report").hidden = true;
    return;
  }
  const leeway = $("leeway").value.trim();
  const payload = {
    token,
    public_key: $("public-key").value.trim() || null,
    provider_id: $("provider-id").value.trim() || null,
    key_id: $("key-id").value.trim() || null,
    nonce: $("nonce").value || null,
    now: time.now,
    leeway: leeway === "" ? null : Number(leeway),
  };
  $("validate").disabled = true;
  try {
    const result = await call("/api/validate", payload);
    if (result.status === 200) {
      showReport(result.body);
    } else {
      showVerdict("Cannot validate: " + errorText(result), false);
      $("report").hidden = true;
    }
  } catch (failure) {
    showVerdict("Cannot validate: " + failure, false);
  } finally {
    $("validate").disabled = false;
  }
}

async function generate(event) {
  event.preventDefault();
  const status = $("keygen-status");
  status.textContent = "Generating a " + $("keygen-bits").value + "-bit key pair…";
  status.className = "";
  $("generate").disabled = true;
  try {
    const result = await call("/api/keygen", { bits: Number($("keygen-bits").value) });
    if (result.status !== 200) {
      status.textContent = "Cannot generate: " + errorText(result);
      status.className = "error";
      return;
    }
    $("private-key").value = result.body.private_key;
    $("generated-public-key").value = result.body.public_key;
    status.textContent =
      "Generated a " + result.body.bits + "-bit key pair. Copy the private key now: it is not kept anywhere.";
    $("private-key").focus();
    $("private-key").select();
  } catch (failure) {
    status.textContent = "Cannot generate: " + failure;
    status.className = "error";
  } finally {
    $("generate").disabled = false;
  }
}

async function mint(event) {
  event.preventDefault();
  const status = $("mint-status");
  const fields = { user_id: $("mint-user-id").value, nonce: $("mint-nonce").value };
  const displayName = $("mint-display-name").value;
  const avatarUrl = $("mint-avatar-url").value;
  if (displayName) fields.display_name = displayName;
  if (avatarUrl) fields.avatar_url = avatarUrl;
  $("mint").disabled = true;
  try {
    const result = await call("/identity-token", fields);
    if (result.status === 200) {
      $("minted-token").value = result.body.identity_token;
      $("validate-minted").disabled = false;
      status.textContent = "Minted a token for " + fields.user_id + " (valid for 10 minutes).";
      status.className = "";
    } else {
      $("minted-token").value = "";
      $("validate-minted").disabled = true;
      status.textContent = "Cannot mint: " + errorText(result);
      status.className = "error";
    }
  } catch (failure) {
    status.textContent = "Cannot mint: " + failure;
    status.className = "error";
  } finally {
    $("mint").disabled = false;
  }
}

function validateMinted() {
  $("token").value = $("minted-token").value;
  $("nonce").value = $("mint-nonce").value;
  $("public-key").value = "";
  if (config) {
    $("provider-id").value = config.provider_id;
    $("key-id").value = config.key_id;
  }
  $("token").scrollIntoView();
  $("validate").focus();
  validate();
}

document.addEventListener("DOMContentLoaded", () => {
  $("validate-form").addEventListener("submit", validate);
  $("keygen-form").addEventListener("submit", generate);
  $("mint-form").addEventListener("submit", mint);
  $("validate-minted").addEventListener("click", validateMinted);
  $("clear-private-key").addEventListener("click", () => {
    $("private-key").value = "";
    $("keygen-status").textContent = "The private key is cleared.";
  });
  $("use-public-key").addEventListener("click", () => {
    $("public-key").value = $("generated-public-key").value;
    $("public-key").focus();
  });
  // Ctrl+Enter (or Cmd+Enter) in the token box validates, as Enter does in the other fields.
  $("token").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) validate(event);
  });
  loadConfig();
});
