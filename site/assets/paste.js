// The paste box: diagnoses the pasted text in the browser with rdp-doctor's engine (engine.js),
// shows the ranked causes with their evidence, and keeps the paste in the address (#q=...) so
// a diagnosis can be shared as a link.
(function () {
  "use strict";

  var MAX_CANDIDATES = 10;
  var MAX_LINK_CHARS = 8000;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function percent(score) {
    return Math.round(score * 100) + "%";
  }

  function showCodes(codes) {
    var section = document.getElementById("found");
    var list = document.getElementById("found-codes");
    list.replaceChildren();
    codes.forEach(function (code) {
      var item = element("li", "found-code");
      item.append(element("code", "", code.code));
      var about = [code.role.replace("_", " ")];
      if (code.family) about.push(code.family.replace(/_/g, " "));
      if (code.name) about.push(code.name);
      item.append(" ", element("span", "meta", about.join(" \u00b7 ")));
      list.append(item);
    });
    section.hidden = codes.length === 0;
  }

  function showCandidate(candidate, root) {
    var item = element("li", "candidate");
    item.dataset.rule = candidate.id;
    item.dataset.kind = candidate.kind;
    var heading = element("h3");
    var link = element("a", "", candidate.title);
    // The engine gives each candidate's page: a rule's, or the code page of a catalog meaning.
    link.href = root + candidate.path;
    heading.append(link);
    item.append(heading);
    var meta = element("p", "meta");
    meta.append(
      element("span", "score", "confidence " + percent(candidate.score)),
      " \u00b7 ",
      element("span", "category", candidate.category.replace(/_/g, " "))
    );
    if (candidate.kind === "catalog") {
      meta.append(" \u00b7 ", element("span", "kind", "what the code or message means; no rule explains it"));
    } else if (candidate.kind === "related") {
      meta.append(" \u00b7 ", element("span", "kind", "possibly related: nothing was recognised, the words are shared"));
    }
    item.append(meta);
    var evidence = element("ul", "evidence");
    candidate.evidence.forEach(function (piece) {
      var line = element("li");
      var weight = (piece.weight > 0 ? "+" : "") + piece.weight;
      var label = candidate.kind === "rule" ? piece.description + " (" + weight + ")" : piece.description;
      line.append(element("span", "", label));
      piece.excerpts.slice(0, 3).forEach(function (excerpt) {
        line.append(" ", element("q", "excerpt", excerpt));
      });
      evidence.append(line);
    });
    item.append(evidence);
    return item;
  }

  function diagnose(text, root) {
    var result = document.getElementById("paste-result");
    var status = document.getElementById("paste-status");
    var list = document.getElementById("results");
    list.replaceChildren();
    result.hidden = false;
    if (!text.trim()) {
      status.textContent = "Paste some text first.";
      showCodes([]);
      return;
    }
    var diagnosis = window.RdpDoctor.diagnose(text);
    showCodes(diagnosis.codes);
    var shown = diagnosis.candidates.slice(0, MAX_CANDIDATES);
    if (!shown.length) {
      status.textContent = diagnosis.codes.length
        ? "No rule matches these codes yet. Open a code above in the code list for its meaning."
        : "Nothing recognised. Paste the whole dialog or log, with its error codes.";
    } else {
      status.textContent = diagnosis.candidates.length === 1
        ? "One likely cause."
        : diagnosis.candidates.length + " possible causes, the likeliest first.";
    }
    shown.forEach(function (candidate) { list.append(showCandidate(candidate, root)); });
  }

  function shareLink(text) {
    var link = document.getElementById("share-link");
    if (!text.trim() || text.length > MAX_LINK_CHARS) {
      link.hidden = true;
      return;
    }
    link.href = "#q=" + encodeURIComponent(text);
    link.hidden = false;
  }

  function pasteFromHash() {
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.lastIndexOf("q=", 0) !== 0) return null;
    try {
      return decodeURIComponent(hash.slice(2).replace(/\+/g, " "));
    } catch (e) {
      return null;
    }
  }

  function start() {
    var form = document.getElementById("paste-form");
    var area = document.getElementById("paste");
    if (!form || !area || !window.RdpDoctor) return;
    var root = form.dataset.root || "";
    // The engine loads in the background; a paste submitted before it is ready waits for it.
    function whenReady(text) {
      var status = document.getElementById("paste-status");
      document.getElementById("paste-result").hidden = false;
      status.textContent = "Loading the diagnosis engine\u2026";
      window.RdpDoctor.ready.then(
        function () {
          diagnose(text, root);
          shareLink(text);
        },
        function (error) {
          status.textContent = "The diagnosis engine could not start in this browser: " + error.message;
        }
      );
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      whenReady(area.value);
    });
    function fromHash() {
      var pasted = pasteFromHash();
      if (pasted === null) return;
      area.value = pasted;
      whenReady(pasted);
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }

  start();
})();
