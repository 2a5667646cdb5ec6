// The paste box: diagnoses the pasted text in the browser with rdp-doctor's engine (engine.js),
// shows the ranked causes (why each matched, in words, its summary and first step), and keeps
// the paste in the address (#q=...) so a diagnosis can be shared as a link, with names hidden
// on request.
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

  function shorten(text, room) {
    var one = text.replace(/\s+/g, " ").trim();
    return one.length > room ? one.slice(0, room - 1) + "\u2026" : one;
  }

  function quoted(text) {
    return "\u201c" + shorten(text, 70) + "\u201d";
  }

  // `disconnect:0x904` in words: "error 0x904"; event IDs in decimal, as engineers say them.
  function plainCode(key) {
    var at = key.indexOf(":");
    var family = at < 0 ? "" : key.slice(0, at);
    var value = at < 0 ? key : key.slice(at + 1);
    if (family === "event") {
      var number = /^0x[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : value;
      return "event " + number;
    }
    if (family === "extended") return "extended error " + value;
    if (family === "ntstatus" || family === "sspi" || family === "hresult") return "status " + value;
    if (/^[A-Z_]+$/.test(value)) return value;
    return "error " + value;
  }

  // One piece of evidence in plain words: what of the paste it is.
  function plainPiece(piece) {
    var description = piece.description;
    var quote = piece.excerpts[0];
    if (description.lastIndexOf("codes ", 0) === 0) {
      return description.slice(6).split(" + ").map(plainCode).join(" with ");
    }
    if (description.lastIndexOf("code ", 0) === 0) {
      return "the code " + description.slice(5).replace(/ \(.*$/, "");
    }
    if (!quote) return description;
    if (description.lastIndexOf("message (", 0) === 0) return "the dialog text " + quoted(quote);
    if (description === "symbol") return "the name " + shorten(quote, 70);
    if (description.lastIndexOf("message ", 0) === 0) return "the message " + quoted(quote);
    return "the words " + quoted(quote);
  }

  // Why a candidate is listed, in words: "matched: the dialog text ... and error 0x904".
  function reasonOf(candidate) {
    if (candidate.kind === "related") {
      return candidate.evidence.length ? candidate.evidence[0].description : "";
    }
    var parts = [];
    candidate.evidence.forEach(function (piece) {
      if (piece.weight < 0) return;
      var words = plainPiece(piece);
      if (parts.indexOf(words) < 0) parts.push(words);
    });
    if (!parts.length) return "";
    var shown = parts.slice(0, 3);
    var last = shown.pop();
    return "Matched: " + (shown.length ? shown.join(", ") + " and " + last : last) + ".";
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
    var reason = reasonOf(candidate);
    if (reason) item.append(element("p", "reason", reason));
    var page = (window.RDP_DOCTOR_SUMMARIES || {})[candidate.id] || {};
    var summary = candidate.kind === "catalog" ? candidate.summary : page.summary;
    if (summary) item.append(element("p", "summary", summary));
    if (page.step) {
      var first = element("p", "first-step");
      first.append(
        element("strong", "", "First step" + (page.side ? " (on the " + page.side + ")" : "") + ": "),
        page.step
      );
      item.append(first);
    }
    var more = element("a", "more", candidate.kind === "catalog" ? "The code's page" : "Every step and command");
    more.href = root + candidate.path;
    more.setAttribute("aria-label", (candidate.kind === "catalog" ? "The code's page: " : "Every step and command: ") + candidate.title);
    item.append(more);
    // The signatures themselves, for whoever writes or checks rules.
    var details = element("details", "how");
    details.append(element("summary", "", "How it was matched"));
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
    details.append(evidence);
    item.append(details);
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

  // The link to this diagnosis; with "hide names" ticked, the paste in it is redacted by the
  // engine (host-1, ip-1, user-1 ...), as `rdp-doctor diagnose --redact` does.
  function shareLink(text) {
    var link = document.getElementById("share-link");
    var option = document.getElementById("redact-option");
    var note = document.getElementById("redact-note");
    var box = document.getElementById("redact-link");
    var shared = text;
    note.textContent = "";
    if (box && box.checked && text.trim()) {
      var redacted = window.RdpDoctor.redact(text);
      shared = redacted.text;
      note.textContent = redacted.hidden === 1
        ? "1 name or address is hidden in the link."
        : redacted.hidden + " names and addresses are hidden in the link.";
    }
    if (!shared.trim() || shared.length > MAX_LINK_CHARS) {
      link.hidden = true;
      option.hidden = true;
      return;
    }
    link.href = "#q=" + encodeURIComponent(shared);
    link.hidden = false;
    option.hidden = false;
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
    document.getElementById("redact-link").addEventListener("change", function () {
      if (window.RdpDoctor.redact && !document.getElementById("share-link").hidden) {
        shareLink(area.value);
      }
    });
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }

  start();
})();
