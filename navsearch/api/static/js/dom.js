// Small DOM helpers. Text from the API is only ever set as text (never as HTML), so a
// document cannot inject markup into the page.

/** h("a", {href: "/"}, "text", child...) -> element. null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

const STOP = new Set(
  ("the and for with that this from are was were which what when where how who whom whose will would " +
   "shall should can could may might must has have had not its into than then them they their there " +
   "been being does did any all each such also only upon about under over more most other some").split(" "),
);
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** Words of a query worth marking in a passage: Latin words of 3+ letters that are not
 * stop words (with a crude stem, so "batteries" marks "battery"), and CJK bigrams. */
export function queryTerms(query) {
  const out = new Set();
  for (const word of query.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []) {
    if (CJK.test(word)) {
      const chars = [...word].filter((c) => CJK.test(c));
      for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
    } else if (word.length >= 3 && !STOP.has(word)) {
      out.add(word.length > 5 ? word.slice(0, word.length - 2) : word);
    }
  }
  return [...out];
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The text with the query's terms wrapped in <mark>, as a fragment. */
export function highlight(text, terms) {
  const frag = document.createDocumentFragment();
  if (!terms.length) {
    frag.append(text);
    return frag;
  }
  const latin = terms.filter((t) => !CJK.test(t)).map((t) => `\\b${escapeRe(t)}[\\p{L}]*`);
  const cjk = terms.filter((t) => CJK.test(t)).map(escapeRe);
  const re = new RegExp([...latin, ...cjk].join("|"), "giu");
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (!m[0]) continue;
    frag.append(text.slice(last, m.index), h("mark", {}, m[0]));
    last = m.index + m[0].length;
  }
  frag.append(text.slice(last));
  return frag;
}

/** Link to the document view, opened at a cited span when offsets are given. */
export function docHref(docId, start, end) {
  const p = new URLSearchParams({ doc: docId });
  if (start !== undefined && end !== undefined) {
    p.set("start", String(start));
    p.set("end", String(end));
  }
  return `/?${p}`;
}

export function fmtScore(x) {
  return Number(x).toFixed(3);
}

/** "Patent · US5901035 · published 1999-05-04 · US · H01M 2/10" style meta line. */
export function metaLine(item) {
  const parts = [item.doc_type];
  if (item.number) parts.push(item.number);
  if (item.publication_date) parts.push(`published ${item.publication_date}`);
  if (item.application_date) parts.push(`filed ${item.application_date}`);
  if (item.jurisdiction) parts.push(item.jurisdiction);
  if (item.ipc && item.ipc.length) parts.push(`IPC ${item.ipc.slice(0, 3).join(", ")}${item.ipc.length > 3 ? " …" : ""}`);
  if (item.assignee) parts.push(item.assignee);
  if (item.issuer) parts.push(item.issuer);
  return parts.join(" · ");
}

/** lang attribute for a passage: Chinese text is marked so screen readers and fonts pick it up. */
export function langOf(text) {
  const sample = text.slice(0, 200);
  const cjk = [...sample].filter((c) => CJK.test(c)).length;
  return cjk > sample.length / 4 ? "zh" : null;
}

/** Save text as a file the browser downloads. */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
