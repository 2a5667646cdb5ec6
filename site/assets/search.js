// The search page: finds codes, symbols, titles and message texts in the prebuilt index
// (search-index.js), forgiving a typo or two per word; exact codes, event IDs and symbols come
// first, and each result shows the start of its page with the matched words highlighted.
(function () {
  "use strict";

  var MAX_RESULTS = 50;
  var KIND_NAMES = { rule: "Cause", code: "Code", category: "Category", guide: "Guide" };

  // Words split as engine/site/search_index.rs splits them when it builds the index.
  function isCjk(c) {
    var n = c.codePointAt(0);
    return (n >= 0x3000 && n <= 0x30ff) || (n >= 0x3400 && n <= 0x4dbf) ||
      (n >= 0x4e00 && n <= 0x9fff) || (n >= 0xac00 && n <= 0xd7af) || (n >= 0xff00 && n <= 0xffef);
  }

  function normaliseCode(word) {
    var m = /^0x([0-9a-f]+)$/.exec(word);
    if (!m) return word;
    var trimmed = m[1].replace(/^0+/, "");
    return "0x" + (trimmed || "0");
  }

  function words(text) {
    var out = [];
    function push(word) {
      word = normaliseCode(word);
      if (Array.from(word).length >= 2 && out.indexOf(word) < 0) out.push(word);
    }
    text.toLowerCase().split(/[^\p{L}\p{N}\p{M}_]+/u).forEach(function (token) {
      if (!token) return;
      var chars = Array.from(token);
      if (chars.some(isCjk)) {
        for (var i = 0; i + 1 < chars.length; i++) push(chars[i] + chars[i + 1]);
        if (chars.length === 1) push(token);
        return;
      }
      push(token);
      if (token.indexOf("_") >= 0) token.split("_").forEach(push);
    });
    return out;
  }

  // Edit distance, giving up as soon as it must exceed `limit`.
  function distanceWithin(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var previous = [];
    for (var j = 0; j <= b.length; j++) previous.push(j);
    for (var i = 1; i <= a.length; i++) {
      var current = [i];
      var best = i;
      for (var k = 1; k <= b.length; k++) {
        var cost = a[i - 1] === b[k - 1] ? 0 : 1;
        var value = Math.min(previous[k] + 1, current[k - 1] + 1, previous[k - 1] + cost);
        current.push(value);
        if (value < best) best = value;
      }
      if (best > limit) return limit + 1;
      previous = current;
    }
    return previous[b.length];
  }

  function typoBudget(word) {
    if (/^0x/.test(word) || /^[0-9]+$/.test(word)) return 0; // codes must be exact
    if (word.length >= 8) return 2;
    if (word.length >= 4) return 1;
    return 0;
  }

  // Expands postings stored as gaps between ascending document numbers.
  function documentsOf(gaps) {
    var docs = [];
    var at = 0;
    for (var i = 0; i < gaps.length; i++) {
      at += gaps[i];
      docs.push(at);
    }
    return docs;
  }

  // Index words a query word finds, with how well: exact 1, prefix 0.6, typo 0.5 per edit away.
  function matchingTerms(terms, word, isLast) {
    var found = [];
    var budget = typoBudget(word);
    for (var i = 0; i < terms.length; i++) {
      var term = terms[i];
      if (term === word) {
        found.push([term, 1]);
      } else if (isLast && word.length >= 2 && term.lastIndexOf(word, 0) === 0) {
        found.push([term, 0.6]);
      } else if (budget > 0) {
        var d = distanceWithin(word, term, budget);
        if (d <= budget) found.push([term, 0.5 / d]);
      }
    }
    return found;
  }

  // Ranks pages by: query words naming the page exactly (a code, event ID, symbol or rule id),
  // then how many query words the page holds, then how well. Each result carries the index
  // words it matched, for highlighting.
  function search(index, query) {
    var queryWords = words(query);
    if (!queryWords.length) return [];
    var fields = [[index.strong, 3], [index.weak, 1]];
    var scores = {};
    queryWords.forEach(function (word, n) {
      var best = {};
      var terms = {};
      fields.forEach(function (field) {
        var postings = field[0];
        matchingTerms(Object.keys(postings), word, n === queryWords.length - 1).forEach(function (hit) {
          var weight = hit[1] * field[1];
          documentsOf(postings[hit[0]]).forEach(function (doc) {
            if (!(doc in best) || best[doc] < weight) best[doc] = weight;
            (terms[doc] || (terms[doc] = [])).push(hit[0]);
          });
        });
      });
      var exact = index.exact && index.exact[word] ? documentsOf(index.exact[word]) : [];
      Object.keys(best).forEach(function (doc) {
        var entry = scores[doc] || (scores[doc] = { exact: 0, words: 0, score: 0, terms: [] });
        entry.words += 1;
        entry.score += best[doc];
        entry.terms = entry.terms.concat(terms[doc]);
      });
      exact.forEach(function (doc) {
        var entry = scores[doc] || (scores[doc] = { exact: 0, words: 1, score: 0, terms: [] });
        entry.exact += 1;
        if (entry.terms.indexOf(word) < 0) entry.terms.push(word);
      });
    });
    return Object.keys(scores)
      .map(function (doc) {
        var s = scores[doc];
        return { doc: Number(doc), exact: s.exact, words: s.words, score: s.score, terms: s.terms };
      })
      .sort(function (a, b) {
        return b.exact - a.exact || b.words - a.words || b.score - a.score || a.doc - b.doc;
      })
      .slice(0, MAX_RESULTS);
  }

  function escapeRegex(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // `text` as nodes, each occurrence of a matched word (at the start of a word) in <mark>.
  function highlighted(text, terms) {
    var parts = terms
      .filter(function (t, i) { return t.length >= 2 && terms.indexOf(t) === i; })
      .sort(function (a, b) { return b.length - a.length; })
      .map(escapeRegex);
    var fragment = document.createDocumentFragment();
    if (!parts.length) {
      fragment.append(text);
      return fragment;
    }
    var pattern = new RegExp("(^|[^\\p{L}\\p{N}_])(" + parts.join("|") + ")", "giu");
    var at = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var start = match.index + match[1].length;
      fragment.append(text.slice(at, start));
      var mark = document.createElement("mark");
      mark.textContent = match[2];
      fragment.append(mark);
      at = start + match[2].length;
      if (match[0].length === 0) pattern.lastIndex += 1;
    }
    fragment.append(text.slice(at));
    return fragment;
  }

  function show(index, query, root) {
    var list = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    list.replaceChildren();
    var results = search(index, query);
    if (!query.trim()) {
      status.textContent = "";
      return;
    }
    status.textContent = results.length
      ? results.length + (results.length === MAX_RESULTS ? "+" : "") + " results for \u201c" + query + "\u201d"
      : "Nothing found for \u201c" + query + "\u201d. Try a code such as 0x904, or a word of the message.";
    results.forEach(function (result) {
      var doc = index.docs[result.doc];
      var item = document.createElement("li");
      item.className = "search-result kind-" + doc[0] + (result.exact ? " exact" : "");
      var link = document.createElement("a");
      link.href = root + doc[1];
      link.append(highlighted(doc[2], result.terms));
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = (KIND_NAMES[doc[0]] || doc[0]) + " \u00b7 " + doc[3];
      item.append(link, " ", meta);
      if (doc[4]) {
        var snippet = document.createElement("p");
        snippet.className = "snippet";
        snippet.append(highlighted(doc[4], result.terms));
        item.append(snippet);
      }
      list.append(item);
    });
  }

  function queryFromLocation() {
    var fromSearch = new URLSearchParams(window.location.search).get("q");
    if (fromSearch) return fromSearch;
    var hash = window.location.hash.replace(/^#/, "");
    return new URLSearchParams(hash).get("q") || "";
  }

  function start() {
    var index = window.RDP_DOCTOR_SEARCH;
    var form = document.getElementById("search-form");
    var input = document.getElementById("search-input");
    if (!index || !form || !input) return;
    var root = form.dataset.root || "";
    var timer = null;
    input.value = queryFromLocation();
    show(index, input.value, root);
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        show(index, input.value, root);
        history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
      }, 120);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show(index, input.value, root);
    });
    input.focus();
  }

  if (typeof window !== "undefined" && typeof document !== "undefined") start();
  if (typeof globalThis !== "undefined") globalThis.RdpDoctorSearch = { search: search, words: words };
})();
