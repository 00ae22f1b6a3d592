// The page: the URL holds the state (tab, query, filters, or the document shown), so any
// view can be bookmarked and shared; the form is filled from it and writes back to it.
import { ApiError, call, currentKey, forgetKey, isAdmin } from "./api.js";
import { renderAsk } from "./ask.js";
import { clear, h } from "./dom.js";
import { renderDocument } from "./document.js";
import { renderPriorArt } from "./priorart.js";
import { renderSearch } from "./search.js";

const config = JSON.parse(document.getElementById("config").textContent);
const form = document.getElementById("query");
const results = document.getElementById("results");
const statusBox = document.getElementById("status");
const errorBox = document.getElementById("error");
const TABS = {
  search: { button: "Search", label: "Idea, question or keywords", busy: "Searching…" },
  "prior-art": { button: "Find prior art", label: "Idea or draft claim", busy: "Finding prior art and mapping each element to quotes…" },
  ask: { button: "Ask", label: "Question", busy: "Looking for the answer in the corpus…" },
};
const PRIOR_ART_PAGE = 5; // references shown first: the matrix stays readable
let sequence = 0; // a newer request makes the answer of an older one stale

function readUrl() {
  const p = new URLSearchParams(location.search);
  const tab = TABS[p.get("tab")] ? p.get("tab") : "search";
  const k = Number.parseInt(p.get("k") || "", 10);
  return {
    doc: p.get("doc"),
    start: p.has("start") ? Number(p.get("start")) : null,
    end: p.has("end") ? Number(p.get("end")) : null,
    tab,
    q: p.get("q") || "",
    types: p.getAll("type"),
    date_field: p.get("date_field") || config.date_fields[0],
    from: p.get("from") || "",
    to: p.get("to") || "",
    priority: p.get("priority") || "",
    ipc: p.get("ipc") || "",
    jur: p.get("jur") || "",
    k: Number.isFinite(k) ? k : tab === "prior-art" ? PRIOR_ART_PAGE : config.page_size,
    run: p.has("q"),
  };
}

function urlFor(s) {
  const p = new URLSearchParams({ tab: s.tab, q: s.q });
  const relevant = (name) => form.querySelector(`[name="${name}"]`)?.closest("fieldset[data-for]")?.dataset.for.split(" ").includes(s.tab) ?? true;
  if (relevant("type")) for (const t of s.types) p.append("type", t);
  for (const name of ["date_field", "from", "to", "priority", "ipc", "jur"]) {
    if (s[name] && relevant(name) && !(name === "date_field" && s[name] === config.date_fields[0])) p.set(name, s[name]);
  }
  const defaultK = s.tab === "prior-art" ? PRIOR_ART_PAGE : config.page_size;
  if (s.k !== defaultK) p.set("k", String(s.k));
  return `/?${p}`;
}

function fillForm(s) {
  form.querySelector(`input[name="tab"][value="${s.tab}"]`).checked = true;
  form.q.value = s.q;
  for (const box of form.querySelectorAll('input[name="type"]')) box.checked = s.types.includes(box.value);
  for (const name of ["date_field", "from", "to", "priority", "ipc", "jur"]) form.elements[name].value = s[name];
  if (!form.date_field.value) form.date_field.value = config.date_fields[0];
  showTab(s.tab);
}

function readForm(k) {
  const tab = form.querySelector('input[name="tab"]:checked').value;
  const value = (name) => form.elements[name].value.trim();
  return {
    tab, q: form.q.value, types: [...form.querySelectorAll('input[name="type"]:checked')].map((b) => b.value),
    date_field: value("date_field"), from: value("from"), to: value("to"), priority: value("priority"),
    ipc: value("ipc"), jur: value("jur"), k: k ?? (tab === "prior-art" ? PRIOR_ART_PAGE : config.page_size), run: true,
  };
}

function showTab(tab) {
  const t = TABS[tab];
  document.getElementById("go").textContent = t.button;
  document.getElementById("q-label").textContent = t.label;
  for (const el of form.querySelectorAll("[data-for]")) {
    const on = el.dataset.for.split(" ").includes(tab);
    el.hidden = !on;
    if (el.tagName === "FIELDSET") el.disabled = !on;
  }
}

const list = (text) => text.split(",").map((x) => x.trim()).filter(Boolean);
const day = (text) => text || null;

function requestFor(s) {
  if (s.tab === "prior-art") {
    return ["/prior-art", {
      idea: s.q, priority_date: day(s.priority), cutoff_field: s.date_field,
      ipc: list(s.ipc).map((x) => x.replace(/\s+/g, "").toUpperCase()), jurisdictions: list(s.jur), k: s.k, policy_k: config.policy_k,
    }];
  }
  if (s.tab === "ask") {
    return ["/ask", { question: s.q, doc_types: s.types, jurisdictions: list(s.jur), date_from: day(s.from), date_to: day(s.to) }];
  }
  return ["/search", {
    query: s.q, k: s.k, doc_types: s.types, date_field: s.date_field, date_from: day(s.from), date_to: day(s.to),
    ipc: list(s.ipc).map((x) => x.replace(/\s+/g, "").toUpperCase()), jurisdictions: list(s.jur),
  }];
}

function setState(state, message) {
  document.body.dataset.state = state;
  results.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  statusBox.textContent = message;
  // Once results are shown their heading says the same: the status stays for screen readers only.
  statusBox.classList.toggle("visually-hidden", state === "done" || state === "error");
}

// The form control each request field comes from, to mark it invalid.
const INPUT_OF = { query: "q", idea: "q", question: "q", date_from: "from", date_to: "to", priority_date: "priority", ipc: "ipc", jurisdictions: "jur", date_field: "date_field", cutoff_field: "date_field" };

function showError(err) {
  const e = err instanceof ApiError ? err : new ApiError("Something went wrong in the page", String(err && err.message ? err.message : err));
  const lines = e.fields.map((f) => h("li", {}, h("strong", {}, `${f.label}: `), f.message));
  const dates = e.fields.some((f) => /date/.test(f.field)) ? h("p", {}, "Write dates as YYYY-MM-DD, for example 2013-04-02.") : null;
  errorBox.replaceChildren(h("p", { class: "error-title" }, e.title), lines.length ? h("ul", {}, lines) : h("p", {}, e.detail), dates);
  errorBox.hidden = false;
  for (const f of e.fields) document.getElementById(INPUT_OF[f.field.split(".")[0]])?.setAttribute("aria-invalid", "true");
  setState("error", `Error: ${e.title}`);
}

async function run(s, focusFrom) {
  const mine = ++sequence;
  const stale = () => mine !== sequence;
  errorBox.hidden = true;
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  clear(results);
  document.body.classList.toggle("doc-mode", Boolean(s.doc));
  if (s.doc) {
    setState("loading", "Opening the document…");
    try {
      const doc = await renderDocument(results, s.doc, s.start !== null && s.end !== null ? { start: s.start, end: s.end } : null);
      if (stale()) return;
      document.title = `${doc.title || doc.number || doc.doc_id} · navsearch`;
      setState("done", "Document opened" + (results.querySelector("#cited") ? " at the cited passage." : "."));
      if (!results.querySelector("#cited")) results.focus();
    } catch (err) {
      if (!stale()) showError(err);
    }
    return;
  }
  document.title = s.q ? `${s.q.slice(0, 60)} · navsearch` : "navsearch";
  if (!s.run) {
    setState("idle", "");
    return;
  }
  setState("loading", TABS[s.tab].busy);
  const [path, body] = requestFor(s);
  performance.clearMarks();
  performance.mark("navsearch:request"); // with :rendered, what the page adds to its call
  try {
    const resp = await call("POST", path, body);
    const raw = await resp.text();
    if (stale()) return;
    const data = JSON.parse(raw);
    // "More": the list is drawn again; keyboard focus goes to the first new entry.
    const more = (k) => go({ ...s, k }, s.k);
    if (s.tab === "search") renderSearch(results, data, { maxK: config.max_k, pageSize: config.page_size, more });
    else if (s.tab === "ask") renderAsk(results, data);
    else {
      const fetchCsv = async (req) => (await call("POST", "/prior-art", req, "text/csv")).text();
      renderPriorArt(results, data, raw, { request: body, fetchCsv, more, maxK: config.prior_art_max_k, pageSize: PRIOR_ART_PAGE });
    }
    performance.mark("navsearch:rendered");
    setState("done", results.querySelector("h2")?.textContent || "Done");
    if (focusFrom !== undefined) results.querySelectorAll("li.hit .hit-title a")[focusFrom]?.focus();
  } catch (err) {
    if (!stale()) showError(err);
  }
}

function go(s, focusFrom) {
  history.pushState(null, "", urlFor(s));
  run(s, focusFrom);
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  go(readForm());
});
form.q.addEventListener("keydown", (ev) => {
  // Enter runs the query (Shift+Enter starts a new line), as in a search box.
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    form.requestSubmit();
  }
});
for (const radio of form.querySelectorAll('input[name="tab"]')) radio.addEventListener("change", () => showTab(radio.value));
window.addEventListener("popstate", () => {
  const s = readUrl();
  fillForm(s);
  run(s);
});

function showSession() {
  document.getElementById("session").hidden = !currentKey();
  document.getElementById("admin").hidden = !(currentKey() && isAdmin());
}
document.addEventListener("navsearch:session", showSession);
document.getElementById("forget-key").addEventListener("click", () => {
  forgetKey();
  showSession();
  statusBox.textContent = "The key is forgotten; the next request will ask for one.";
});
document.getElementById("upload-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const files = document.getElementById("upload-file").files;
  if (!files.length) return;
  // POST /documents takes one file a request; each answers once it is committed and searchable.
  try {
    const indexed = [];
    for (const f of files) {
      const data = new FormData();
      data.append("file", f);
      const record = await (await call("POST", "/documents", data)).json();
      indexed.push(...record.doc_ids);
    }
    statusBox.textContent = `${files.length} file(s) indexed: ${indexed.join(", ") || "no documents"}.`;
  } catch (err) {
    showError(err);
  }
});

// Filters open beside the results on a wide screen, folded above them on a narrow one.
document.getElementById("filters").open = window.matchMedia("(min-width: 900px)").matches;
const initial = readUrl();
fillForm(initial);
showSession();
run(initial);
// For the tests and for anyone timing the page: the module has run.
document.body.dataset.ready = "true";
