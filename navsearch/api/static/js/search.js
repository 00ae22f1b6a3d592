// Search results: one entry per document, its best passages with their citations and the
// query's words marked.
import { docHref, fmtScore, h, highlight, langOf, metaLine, queryTerms } from "./dom.js";

/** Hits as a list of articles; each passage links to the document opened at it. */
export function hitList(hits, query, level = 3) {
  const terms = queryTerms(query);
  return h(
    "ol",
    { class: "hits" },
    hits.map((hit) => {
      const first = hit.passages[0];
      const title = hit.title || hit.number || hit.doc_id;
      return h(
        "li",
        { class: "hit", dataset: { doc: hit.doc_id } },
        h(`h${level}`, { class: "hit-title" },
          h("a", { href: first ? docHref(hit.doc_id, first.start, first.end) : docHref(hit.doc_id), lang: langOf(title) }, title)),
        h("p", { class: "meta" }, metaLine(hit), h("span", { class: "score" }, ` · score ${fmtScore(hit.score)}`)),
        h("ul", { class: "passages" }, hit.passages.map((p) => passageItem(hit.doc_id, p, terms))),
      );
    }),
  );
}

export function passageItem(docId, p, terms) {
  return h(
    "li",
    { class: "passage" },
    h("blockquote", { lang: langOf(p.text) }, highlight(p.text, terms)),
    h("p", { class: "cite" },
      h("cite", { lang: langOf(p.citation) }, p.citation),
      p.heading ? h("span", { class: "heading" }, ` — ${p.heading}`) : null,
      " ",
      h("a", { href: docHref(docId, p.start, p.end), class: "open", "aria-label": `Open ${p.citation} in the document` }, "Open at this passage"),
    ),
  );
}

/** The search view; `more` is called with the next k when there may be more results. */
export function renderSearch(root, data, { maxK, pageSize, more }) {
  const n = data.hits.length;
  root.append(
    h("h2", { id: "results-h" }, n ? `${n} ${n === 1 ? "document" : "documents"}` : "No documents found"),
    h("p", { class: "meta" },
      `Ranked ${data.mode} (${data.candidates.dense ?? 0} dense and ${data.candidates.lexical ?? 0} lexical candidates) in ${Math.round(data.took_ms)} ms; index generation ${data.generation}.`),
  );
  if (!n) {
    root.append(h("p", { class: "empty" }, "Nothing in the corpus matches these filters. Remove a filter or widen the dates."));
    return;
  }
  root.append(hitList(data.hits, data.query));
  if (n >= data.k && data.k < maxK) {
    root.append(h("button", { type: "button", class: "more", onclick: () => more(Math.min(maxK, data.k + pageSize)) }, "More results"));
  }
}
