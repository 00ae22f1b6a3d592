// The prior-art view: the risks and the candidate points of novelty first, then the
// coverage matrix (elements x references; a cell opens its verbatim quote), the
// references, the policy clauses, and exports of the record the API returned.
import { docHref, download, fmtScore, h, langOf, metaLine, queryTerms } from "./dom.js";
import { hitList, passageItem } from "./search.js";

const MARK = { disclosed: "●", partly: "◐", "not found": "○" };

function refName(ref) {
  return ref.number || ref.doc_id;
}

function findings(data) {
  const cov = data.coverage;
  const el = (i) => `E${i + 1}`;
  const items = [];
  if (cov.anticipating.length) {
    items.push(h("li", { class: "flag risk" }, h("strong", {}, "Anticipation: "),
      `${cov.anticipating.join(", ")} ${cov.anticipating.length === 1 ? "discloses" : "each disclose"} every element.`));
  } else if (data.references.length) {
    items.push(h("li", { class: "flag" }, h("strong", {}, "No anticipation: "), "no single reference discloses every element."));
  }
  if (cov.covering_pairs.length) {
    items.push(h("li", { class: "flag risk" }, h("strong", {}, "Obviousness: "),
      `together these disclose every element: ${cov.covering_pairs.map(([a, b]) => `${a} + ${b}`).join("; ")}.`));
  }
  if (cov.novelty_candidates.length) {
    items.push(h("li", { class: "flag novel" }, h("strong", {}, "Candidate points of novelty: "),
      `${cov.novelty_candidates.map(el).join(", ")} — no reference discloses ${cov.novelty_candidates.length === 1 ? "it" : "them"}, not even partly.`));
  }
  if (cov.weakly_covered.length) {
    items.push(h("li", { class: "flag" }, h("strong", {}, "Only partly disclosed: "), `${cov.weakly_covered.map(el).join(", ")}.`));
  }
  return h("ul", { class: "findings", "aria-label": "Findings" }, items);
}

function cellDetail(panel, data, ref, m, button) {
  // The open cell is marked (aria-expanded, and drawn so) until another one is chosen.
  for (const b of button.closest("table").querySelectorAll(".cell-btn")) b.setAttribute("aria-expanded", String(b === button));
  panel.replaceChildren(
    h("h4", {}, `E${m.element + 1} in ${refName(ref)}: ${m.status}`),
    h("p", { class: "element-text" }, data.elements[m.element]),
    h("blockquote", { class: "verbatim", lang: langOf(m.quote) }, m.quote || "(no passage)"),
    h("p", { class: "cite" },
      h("cite", {}, m.citation),
      ` · similarity ${fmtScore(m.score)} · `,
      m.verified ? h("span", { class: "ok" }, "verbatim: checked against the stored text") : h("span", { class: "bad" }, "not verified"),
      " ",
      h("a", { href: docHref(ref.doc_id, m.start, m.end), class: "open" }, "Open at this quote")),
  );
  panel.hidden = false;
  panel.focus();
}

function matrix(data, panel) {
  const table = h("table", { class: "matrix" },
    h("caption", {}, "Coverage: each element of the idea (rows) against each reference (columns). Select a cell to read its quote."),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Element"),
      data.references.map((ref) => h("th", { scope: "col" }, h("a", { href: docHref(ref.doc_id) }, `${ref.rank}. ${refName(ref)}`))))),
    h("tbody", {}, data.elements.map((text, i) =>
      h("tr", {},
        h("th", { scope: "row" }, h("span", { class: "el-num" }, `E${i + 1} `), h("span", { class: "el-text" }, text)),
        data.references.map((ref) => {
          const m = ref.matches.find((x) => x.element === i);
          if (!m) return h("td", { class: "cell none" }, "–");
          return h("td", { class: `cell ${m.status.replace(" ", "-")}` },
            h("button", {
              type: "button",
              class: "cell-btn",
              "aria-label": `E${i + 1} in ${refName(ref)}: ${m.status}, similarity ${fmtScore(m.score)}. Show the quote.`,
              "aria-expanded": "false",
              "aria-controls": "cell-detail",
              onclick: (ev) => cellDetail(panel, data, ref, m, ev.currentTarget),
            }, h("span", { "aria-hidden": "true" }, `${MARK[m.status] || "?"} ${m.status} ${fmtScore(m.score)}`)));
        }),
      ))),
  );
  return h("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Coverage matrix" }, table);
}

function exportRecord(data, raw, request, fetchCsv) {
  const stamp = data.created_at.replace(/[:.]/g, "-");
  return h("p", { class: "export" },
    h("button", { type: "button", onclick: () => download(`prior-art-${stamp}.json`, raw, "application/json") }, "Download JSON"),
    " ",
    h("button", {
      type: "button",
      onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          download(`prior-art-${stamp}.csv`, await fetchCsv({ ...request, format: "csv" }), "text/csv");
        } finally {
          ev.target.disabled = false;
        }
      },
    }, "Download CSV"));
}

/** `raw` is the API's response text: the JSON download is that record, byte for byte. */
export function renderPriorArt(root, data, raw, { request, fetchCsv, more, maxK, pageSize }) {
  const n = data.references.length;
  root.append(
    h("h2", { id: "results-h" }, n ? `Prior art: ${n} ${n === 1 ? "reference" : "references"}` : "No prior art found"),
    h("p", { class: "meta" },
      `Model ${data.model}, index generation ${data.generation}; an element counts as disclosed from similarity ${fmtScore(data.thresholds.disclosed)}, partly from ${fmtScore(data.thresholds.partly)}.`),
    exportRecord(data, raw, request, fetchCsv),
  );
  if (data.notes.length) root.append(h("ul", { class: "notes" }, data.notes.map((x) => h("li", {}, x))));
  root.append(h("h3", {}, "Elements of the idea"),
    h("ol", { class: "elements" }, data.elements.map((e, i) => h("li", { id: `element-${i + 1}` }, h("span", { class: "el-num" }, `E${i + 1} `), e))));
  if (!n) {
    root.append(h("p", { class: "empty" }, "No patent in the corpus matches these filters and cutoff."));
  } else {
    const panel = h("div", { class: "cell-detail", id: "cell-detail", tabindex: "-1", role: "region", "aria-label": "Selected quote", hidden: true });
    root.append(findings(data), h("h3", {}, "Coverage matrix"), matrix(data, panel), panel);
    const terms = queryTerms(data.idea);
    root.append(h("h3", {}, "References"), h("ol", { class: "hits" }, data.references.map((ref) =>
      h("li", { class: "hit", dataset: { doc: ref.doc_id } },
        h("h4", { class: "hit-title" }, h("a", { href: docHref(ref.doc_id), lang: langOf(ref.title || "") }, `${ref.rank}. ${ref.title || refName(ref)}`)),
        h("p", { class: "meta" }, metaLine({ ...ref, doc_type: "patent" }),
          ref.family_members.length ? ` · family: ${ref.family_members.join(", ")}` : "",
          h("span", { class: "score" }, ` · score ${fmtScore(ref.score)}`)),
        h("ul", { class: "passages" }, ref.passages.map((p) => passageItem(ref.doc_id, p, terms))),
      ))));
    if (n >= request.k && request.k < maxK) {
      root.append(h("button", { type: "button", class: "more", onclick: () => more(Math.min(maxK, request.k + pageSize)) }, "More references"));
    }
  }
  root.append(h("h3", {}, "Policy and statute clauses for this idea"));
  root.append(data.policy.length ? hitList(data.policy, data.idea, 4) : h("p", { class: "empty" }, "No policy or statute clause was retrieved for this idea."));
}
