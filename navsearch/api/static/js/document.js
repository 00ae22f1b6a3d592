// The document view: metadata, the structure as navigation, the text with the cited span
// marked (and scrolled to), and the ingestion report.
import { call, getJSON, isAdmin } from "./api.js";
import { h, langOf } from "./dom.js";

function sections(chunks) {
  // One entry per (kind, path): a section cut into several chunks is one place to go to.
  const seen = new Map();
  for (const c of chunks) {
    if (c.kind === "title") continue;
    const key = `${c.kind}\u0000${c.path}`;
    if (!seen.has(key)) seen.set(key, c);
  }
  return [...seen.values()].sort((a, b) => a.start - b.start);
}

function depth(c) {
  if (c.kind === "claim") return c.parent_claim ? 1 : 0;
  const parts = c.path.split(/[.(]/).filter(Boolean).length;
  return Math.min(3, Math.max(0, parts - 1));
}

function structureNav(doc, goTo) {
  const list = sections(doc.chunks);
  const byKind = new Map();
  for (const c of list) {
    if (!byKind.has(c.kind)) byKind.set(c.kind, []);
    byKind.get(c.kind).push(c);
  }
  return h("nav", { class: "structure", "aria-label": "Document structure" },
    h("h3", {}, "Structure"),
    [...byKind.entries()].map(([kind, items]) => h("details", { open: items.length <= 60 || kind === "claim" },
      h("summary", {}, `${kind === "claim" ? "Claims" : kind[0].toUpperCase() + kind.slice(1)} (${items.length})`),
      h("ul", {}, items.map((c) =>
        h("li", { class: `depth-${depth(c)}` },
          h("a", { href: `#at-${c.start}`, onclick: (ev) => { ev.preventDefault(); goTo(c.start); }, lang: langOf(c.path) },
            c.path, c.kind === "claim" && c.parent_claim ? ` (on claim ${c.parent_claim})` : "",
            // The heading chain's last link names the section; the rest is the tree itself.
            c.heading && c.kind !== "claim" ? ` ${c.heading.split(" > ").pop()}` : ""))),
      )),
    ));
}

function textWithMark(doc, cited) {
  const text = doc.text || "";
  const root = h("div", { class: "doctext", lang: doc.language && doc.language.startsWith("zh") ? "zh" : langOf(text) });
  const starts = new Set(sections(doc.chunks).map((c) => c.start));
  const points = [...new Set([0, text.length, ...starts, ...(cited ? [cited.start, cited.end] : [])])]
    .filter((p) => p >= 0 && p <= text.length)
    .sort((a, b) => a - b);
  let into = root;
  points.forEach((pos, i) => {
    if (cited && pos === cited.end) into = root;
    if (cited && pos === cited.start) {
      into = h("mark", { id: "cited", tabindex: "-1", class: "cited" });
      root.append(into);
    }
    if (starts.has(pos)) into.append(h("span", { id: `at-${pos}`, class: "anchor", tabindex: "-1" }));
    if (i + 1 < points.length) into.append(text.slice(pos, points[i + 1]));
  });
  return root;
}

function metadata(doc) {
  const rows = [
    ["Type", doc.doc_type], ["Number", doc.number], ["Published", doc.publication_date], ["Filed", doc.application_date],
    ["Priority", doc.priority_date], ["Jurisdiction", doc.jurisdiction], ["Language", doc.language],
    ["IPC", doc.ipc.join(", ")], ["CPC", doc.cpc.join(", ")], ["Issuer", doc.issuer], ["Assignee", doc.assignee],
    ["Family", doc.family.join(", ")], ["Cites", doc.cited.slice(0, 20).join(", ") + (doc.cited.length > 20 ? " …" : "")],
    ["Source file", doc.source], ["Identifier", doc.doc_id],
  ].filter(([, v]) => v);
  return h("dl", { class: "docmeta" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", { lang: langOf(String(v)) }, String(v))]));
}

function report(rep) {
  const found = rep.found;
  const kinds = Object.entries(found.sections || {}).map(([k, v]) => `${v} ${k}`).join(", ");
  return h("section", { class: "report", "aria-labelledby": "report-h" },
    h("h3", { id: "report-h" }, "Ingestion report"),
    h("dl", { class: "docmeta" },
      h("dt", {}, "Sections found"), h("dd", {}, kinds || "none"),
      h("dt", {}, "Claims"), h("dd", {}, `${found.claims}${found.independent_claims && found.independent_claims.length ? ` (independent: ${found.independent_claims.join(", ")})` : ""}`),
      h("dt", {}, "Pages"), h("dd", {}, String(found.pages)),
      h("dt", {}, "Characters"), h("dd", {}, `${found.characters} (${found.characters_in_chunks} in ${rep.chunks} chunks)`)),
    h("h4", {}, "What the parser repaired"),
    rep.changed.length ? h("ul", {}, rep.changed.map((x) => h("li", {}, x))) : h("p", {}, "Nothing: the text is as the source gave it."),
    h("h4", {}, "Sections split to fit the model"),
    rep.split.length ? h("ul", {}, rep.split.map((x) => h("li", {}, x))) : h("p", {}, "None."),
  );
}

/** Show a document; `cited` is {start, end} or null. */
export async function renderDocument(root, docId, cited) {
  const id = encodeURIComponent(docId);
  const [doc, rep] = await Promise.all([getJSON(`/documents/${id}?include_text=true`), getJSON(`/documents/${id}/report`)]);
  const text = doc.text || "";
  const valid = cited && cited.start >= 0 && cited.start < cited.end && cited.end <= text.length ? cited : null;
  const goTo = (pos) => {
    const target = root.querySelector(`#at-${pos}`);
    if (target) {
      target.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    }
  };
  const title = doc.title || doc.number || doc.doc_id;
  const back = h("a", { href: "/", class: "back" }, "← Back");
  back.addEventListener("click", (ev) => {
    if (document.referrer && new URL(document.referrer).origin === location.origin && history.length > 1) {
      ev.preventDefault();
      history.back();
    }
  });
  root.append(back, h("h2", { id: "results-h", lang: langOf(title) }, title), metadata(doc));
  if (cited && !valid) {
    root.append(h("p", { class: "error-inline" }, `The cited span ${cited.start}–${cited.end} is not inside this document (${text.length} characters); the document is shown without it.`));
  } else if (valid) {
    const paths = doc.chunks.filter((c) => c.start < valid.end && c.end > valid.start).map((c) => c.path);
    root.append(h("p", { class: "cited-at" }, "Cited passage: ", h("strong", {}, [...new Set(paths)].join(", ") || "text"),
      ` (characters ${valid.start}–${valid.end}) `,
      h("a", { href: "#cited", onclick: (ev) => { ev.preventDefault(); focusCited(root); } }, "Go to the highlighted passage")));
  }
  if (isAdmin()) {
    root.append(h("p", { class: "admin-actions" }, h("button", {
      type: "button", class: "danger",
      onclick: async () => {
        if (!confirm(`Delete ${docId} from the index?`)) return;
        await call("DELETE", `/documents/${id}`);
        location.assign("/");
      },
    }, "Delete this document")));
  }
  root.append(h("div", { class: "docview" }, structureNav(doc, goTo), h("article", { class: "doc", "aria-label": "Text" }, textWithMark(doc, valid))), report(rep));
  if (valid) focusCited(root);
  return doc;
}

function focusCited(root) {
  const mark = root.querySelector("#cited");
  if (mark) {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }
}
