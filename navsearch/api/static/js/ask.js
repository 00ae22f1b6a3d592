// An answer: verbatim quotes, each with its numbered citation; or the refusal, with the
// nearest clauses the corpus has.
import { docHref, fmtScore, h, langOf } from "./dom.js";

export function renderAsk(root, data) {
  if (data.answered) {
    root.append(
      h("h2", { id: "results-h" }, "Answer"),
      h("p", { class: "meta" }, `Quoted verbatim from the corpus; evidence ${fmtScore(data.evidence)} (answers from ${fmtScore(data.threshold)}).`),
      h("ol", { class: "answer" },
        data.quotes.map((q, i) =>
          h("li", { class: "quote", id: `quote-${i + 1}` },
            h("blockquote", { lang: langOf(q.text) }, q.text, " ", h("sup", {}, `[${i + 1}]`)),
          ),
        ),
      ),
      h("h3", {}, "Citations"),
      h("ol", { class: "citations" },
        data.quotes.map((q, i) =>
          h("li", {},
            h("span", { class: "num" }, `[${i + 1}] `),
            h("a", { href: docHref(q.doc_id, q.start, q.end), lang: langOf(q.citation) }, q.citation),
          ),
        ),
      ),
    );
  } else {
    root.append(
      h("h2", { id: "results-h" }, "Not answered"),
      h("p", { class: "refusal" }, data.answer),
      h("p", { class: "meta" }, `Best evidence ${fmtScore(data.evidence)}; an answer needs ${fmtScore(data.threshold)}.`),
    );
  }
  if (data.notes && data.notes.length) root.append(h("ul", { class: "notes" }, data.notes.map((n) => h("li", {}, n))));
  const sources = data.answered ? data.sources.filter((s) => !data.quotes.some((q) => q.doc_id === s.doc_id && q.path === s.path)) : data.sources;
  if (sources.length) {
    root.append(
      h("h3", {}, data.answered ? "Other clauses considered" : "Nearest clauses"),
      h("ol", { class: "sources" },
        sources.map((s) =>
          h("li", {},
            h("blockquote", { lang: langOf(s.text) }, s.text),
            h("p", { class: "cite" },
              h("a", { href: docHref(s.doc_id, s.start, s.end), lang: langOf(s.citation) }, s.citation),
              h("span", { class: "score" }, ` · score ${fmtScore(s.score)}`)),
          ),
        ),
      ),
    );
  }
}
