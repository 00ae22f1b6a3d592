// Calls to the JSON API. Errors become ApiError with a readable message (RFC 9457 problem
// details: detail plus one line per field). Access keys: the API does not check keys yet;
// when it does, a 401 makes the page ask for one (once per browser tab: sessionStorage),
// which is then sent as "Authorization: Bearer <key>" with every call.

const KEY = "navsearch.key";
const SCOPES = "navsearch.scopes";

// Request fields as the form names them, for messages a reader can act on.
const FIELD_LABELS = {
  query: "Query", idea: "Idea", question: "Question", date_from: "From date", date_to: "To date",
  priority_date: "Priority date", cutoff_field: "Which date", date_field: "Which date", ipc: "IPC prefixes",
  jurisdictions: "Jurisdiction", doc_types: "Document type", k: "Number of results", start: "Start", end: "End",
};

export class ApiError extends Error {
  constructor(title, detail, fields = [], status = 0) {
    super(detail || title);
    this.title = title;
    this.detail = detail;
    this.fields = fields; // [{field, label, message}]
    this.status = status;
  }
}

function label(field) {
  const [head, index] = String(field).split(".");
  const name = FIELD_LABELS[head] || head.replace(/_/g, " ");
  return index !== undefined && /^\d+$/.test(index) ? `${name} (value ${Number(index) + 1})` : name;
}

async function problemFrom(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // not JSON: a proxy's page or an empty body; the status line still says something
  }
  const title = (body && body.title) || `The service answered ${resp.status} ${resp.statusText}`;
  const fields = ((body && body.errors) || []).map((e) => ({ field: e.field, label: label(e.field), message: e.message }));
  const detail = body && body.detail ? String(body.detail) : "";
  return new ApiError(title, detail, fields, resp.status);
}

export function currentKey() {
  return sessionStorage.getItem(KEY);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SCOPES);
}

/** Ask for a key in the page's dialog; resolves to the key, or null when cancelled. */
function askForKey(reason) {
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  document.getElementById("key-why").textContent = reason;
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null),
      { once: true },
    );
    dialog.showModal();
    input.focus();
  });
}

let keyPrompt = null; // one dialog at a time, even when several calls get a 401 at once

/** fetch() against the app, with the key if one is kept; resolves to the Response. */
export async function call(method, path, body, accept = "application/json") {
  for (;;) {
    const key = currentKey();
    const headers = { accept };
    const form = body instanceof FormData; // an upload: the browser sets its multipart type
    if (body !== undefined && !form) headers["content-type"] = "application/json";
    if (key) headers.authorization = `Bearer ${key}`;
    let resp;
    try {
      resp = await fetch(path, { method, headers, body: body === undefined || form ? body : JSON.stringify(body) });
    } catch {
      throw new ApiError("The service could not be reached", "Check that navsearch is running, then try again.");
    }
    if (resp.status === 401) {
      keyPrompt ??= askForKey(key ? "That key was not accepted. Enter another one." : "This service needs an access key.");
      const entered = await keyPrompt;
      keyPrompt = null;
      if (!entered) throw new ApiError("An access key is needed", "Enter a key to use this service.", [], 401);
      sessionStorage.setItem(KEY, entered);
      sessionStorage.removeItem(SCOPES);
      continue;
    }
    if (resp.status === 403) {
      const problem = await problemFrom(resp);
      throw new ApiError("Not allowed with this key", problem.detail || "Your key does not allow this.", [], 403);
    }
    if (!resp.ok) throw await problemFrom(resp);
    if (key) await learnScopes();
    return resp;
  }
}

export async function getJSON(path) {
  return (await call("GET", path)).json();
}

export async function postJSON(path, body) {
  return (await call("POST", path, body)).json();
}

/** The scopes of the key in use, asked once per key from GET /auth/whoami (an endpoint of
 * the access-control issue: {"scopes": ["read", "admin"]}). Without a key there are no
 * scopes to learn, and no admin actions are shown. */
async function learnScopes() {
  if (sessionStorage.getItem(SCOPES) !== null) return;
  let scopes = [];
  try {
    const resp = await fetch("/auth/whoami", { headers: { accept: "application/json", authorization: `Bearer ${currentKey()}` } });
    if (resp.ok) scopes = (await resp.json()).scopes || [];
  } catch {
    // unknown: no admin actions
  }
  sessionStorage.setItem(SCOPES, JSON.stringify(scopes));
  document.dispatchEvent(new CustomEvent("navsearch:session"));
}

export function isAdmin() {
  try {
    return (JSON.parse(sessionStorage.getItem(SCOPES) || "[]") || []).includes("admin");
  } catch {
    return false;
  }
}
