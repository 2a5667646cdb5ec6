// rdp-doctor's matcher for the browser: reads a pasted Remote Desktop error (a dialog, a
// FreeRDP log, an event) and ranks the rules that explain it exactly as `rdp-doctor diagnose`
// does, from the index the site exports (assets/matcher-index.js, RDP_DOCTOR_MATCHER).
//
//   RdpDoctor.diagnose(text[, index]) -> { codes, messages, candidates, truncated }
//
// It ports the engine's extract.rs (codes, labels, catalog messages), search.rs (phrases with
// a typo or two) and matcher.rs (scores and ranking). The engine measures text in UTF-8 bytes
// and some results depend on it (where a typo-tolerant match is looked for, which candidate
// wins a tie on "longer matched text"), so this file does the same: the folded paste is a
// byte string (one character per UTF-8 byte), and every span is a pair of byte offsets into
// the paste's UTF-8 form. Rule regexes run on the paste itself.
(function () {
  "use strict";

  // The engine's limits.
  var MAX_SPANS = 8; // places kept per finding and per matched signature
  var MAX_RAW_REPEATS = 64; // findings kept per code, role and family
  var DIALOG_GAP_BYTES = 200; // how far an extended code may follow its main code
  var MIN_FUZZY_CHARS = 12; // shorter phrases are only matched exactly
  var MAX_REPORTS = 16; // approximate occurrences reported per phrase
  var MAX_FAILED_TRIES = 64; // failed approximate verifications per phrase
  var SHORT_TEXT = 32 * 1024; // texts up to this many bytes are searched phrase by phrase
  var HALF_CONFIDENCE = 3;
  // Beyond this the paste is cut: the browser's regex engine backtracks, the engine's does not.
  var MAX_PASTE_CHARS = 2000000;
  var INDEX_VERSION = 1;

  // The families a code can be read in, given its role, most likely first.
  var READINGS = {
    error: ["disconnect_reason", "gateway", "avd_client", "other", "freerdp_errconnect"],
    extended: ["extended_reason", "errinfo"],
    event_id: ["event_id"],
    status: ["other", "avd_client", "gateway"],
    unknown: [
      "disconnect_reason",
      "gateway",
      "avd_client",
      "freerdp_errconnect",
      "extended_reason",
      "errinfo",
      "other",
    ],
  };
  var CLIENT_FAMILIES = ["disconnect_reason", "gateway", "avd_client"];
  var LABEL_ROLES = {
    error: "error",
    extended: "extended",
    event_id: "event_id",
    status: "status",
  };

  // What may follow a code label, over the folded byte string. `\b` here is ASCII, as in the
  // engine's `(?-u:\b)`; after "is"/"was" the engine's `\b` is Unicode, which agrees whenever
  // the rest can match (only a space, a bracket or a hex digit can follow).
  var AFTER_LABEL =
    / ?(?:[:=#>]|is\b|was\b)? ?[(\[]? ?(0x[0-9a-f]+(?:_[0-9a-f]+)*|[0-9a-f]*[0-9][0-9a-f]*)\b/y;
  var SYMBOLS = new RegExp(
    "\\b(?:ERRCONNECT|ERRINFO|FREERDP_ERROR)_[A-Z0-9_]+" +
      "|\\b(?:disconnectReason|exDiscReason)[A-Za-z0-9]+",
    "g"
  );
  var SYMBOL_PREFIXES = [
    "ERRCONNECT_",
    "ERRINFO_",
    "FREERDP_ERROR_",
    "disconnectReason",
    "exDiscReason",
  ];
  // Unicode White_Space, which is what the engine's `\s` and `char::is_whitespace` mean.
  var WS = "\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
  var SYMBOL_SUFFIX = new RegExp(
    "[" + WS + "]*[\\[(][" + WS + "]*(0[xX][0-9a-fA-F]+)[" + WS + "]*[\\])]",
    "uy"
  );
  var HEX = /\b0x[0-9a-f]+(?:_[0-9a-f]+)*\b/gi;
  var ALPHANUMERIC = /[\p{Alphabetic}\p{N}]/u;
  var ALPHABETIC = /\p{Alphabetic}/u;

  // Folding: quotes, dashes and full-width punctuation as the engine's `fold_char`.
  var FOLDED_PUNCTUATION = {
    0x2018: "'", 0x2019: "'", 0x201a: "'", 0x201b: "'", 0x2032: "'", 0x60: "'", 0xb4: "'",
    0x201c: '"', 0x201d: '"', 0x201e: '"', 0x201f: '"', 0x2033: '"', 0xab: '"', 0xbb: '"',
    0xff1a: ":", 0xff08: "(", 0xff09: ")", 0xff0c: ",", 0x2013: "-", 0x2014: "-",
  };

  // ---- Characters ----------------------------------------------------------------------

  function isWhitespace(cp) {
    return (
      (cp >= 0x09 && cp <= 0x0d) || cp === 0x20 || cp === 0x85 || cp === 0xa0 ||
      cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
      cp === 0x202f || cp === 0x205f || cp === 0x3000
    );
  }

  // Characters a paste may hold that do not show: skipped when folding.
  function isInvisible(cp) {
    return (cp >= 0x200b && cp <= 0x200f) || cp === 0xfeff || cp === 0xad;
  }

  // The CJK scripts, where a paste may or may not put spaces between words.
  function isCjk(cp) {
    return (
      (cp >= 0x3000 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
      (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7af) ||
      (cp >= 0xff00 && cp <= 0xffef)
    );
  }

  function isAsciiAlphanumeric(cp) {
    return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  }

  function isAlphanumeric(cp) {
    return cp < 0x80 ? isAsciiAlphanumeric(cp) : ALPHANUMERIC.test(String.fromCodePoint(cp));
  }

  // Lower case of one non-ASCII character; it may be several (İ is i and a combining dot).
  function foldChar(cp) {
    var mapped = FOLDED_PUNCTUATION[cp];
    return (mapped === undefined ? String.fromCodePoint(cp) : mapped).toLowerCase();
  }

  function trimEndWhitespace(text) {
    var end = text.length;
    while (end > 0 && isWhitespace(text.charCodeAt(end - 1))) end--;
    return text.slice(0, end);
  }

  function trimWhitespace(text) {
    var start = 0;
    while (start < text.length && isWhitespace(text.charCodeAt(start))) start++;
    return trimEndWhitespace(text.slice(start));
  }

  // Lone surrogates become U+FFFD, as the engine's UTF-8 input cannot hold them.
  function wellFormed(text) {
    if (typeof text.toWellFormed === "function") return text.toWellFormed();
    var parts = [];
    var from = 0;
    for (var i = 0; i < text.length; i++) {
      var unit = text.charCodeAt(i);
      if (unit < 0xd800 || unit > 0xdfff) continue;
      var paired =
        unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (paired) {
        i++;
        continue;
      }
      parts.push(text.slice(from, i), "\ufffd");
      from = i + 1;
    }
    parts.push(text.slice(from));
    return parts.join("");
  }

  // ---- UTF-8 -----------------------------------------------------------------------------

  // A growable buffer of UTF-8 bytes, read out as a byte string.
  function ByteWriter(capacity) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
    this.length = 0;
  }

  ByteWriter.prototype.push = function (cp) {
    if (this.length + 4 > this.bytes.length) {
      var grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    var b = this.bytes;
    if (cp < 0x80) {
      b[this.length++] = cp;
    } else if (cp < 0x800) {
      b[this.length++] = 0xc0 | (cp >> 6);
      b[this.length++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      b[this.length++] = 0xe0 | (cp >> 12);
      b[this.length++] = 0x80 | ((cp >> 6) & 0x3f);
      b[this.length++] = 0x80 | (cp & 0x3f);
    } else {
      b[this.length++] = 0xf0 | (cp >> 18);
      b[this.length++] = 0x80 | ((cp >> 12) & 0x3f);
      b[this.length++] = 0x80 | ((cp >> 6) & 0x3f);
      b[this.length++] = 0x80 | (cp & 0x3f);
    }
  };

  ByteWriter.prototype.byteString = function () {
    var parts = [];
    for (var at = 0; at < this.length; at += 0x2000) {
      var chunk = this.bytes.subarray(at, Math.min(at + 0x2000, this.length));
      parts.push(String.fromCharCode.apply(null, chunk));
    }
    return parts.join("");
  };

  function byteString(text) {
    var writer = new ByteWriter(text.length * 3);
    for (var i = 0; i < text.length; ) {
      var cp = text.codePointAt(i);
      writer.push(cp);
      i += cp > 0xffff ? 2 : 1;
    }
    return writer.byteString();
  }

  function isContinuation(bytes, at) {
    return (bytes.charCodeAt(at) & 0xc0) === 0x80;
  }

  // The character starting at byte `at` of a byte string.
  function codePointAt(bytes, at) {
    var lead = bytes.charCodeAt(at);
    if (lead < 0x80) return lead;
    if (lead < 0xe0) return ((lead & 0x1f) << 6) | (bytes.charCodeAt(at + 1) & 0x3f);
    if (lead < 0xf0) {
      return (
        ((lead & 0x0f) << 12) | ((bytes.charCodeAt(at + 1) & 0x3f) << 6) |
        (bytes.charCodeAt(at + 2) & 0x3f)
      );
    }
    return (
      ((lead & 0x07) << 18) | ((bytes.charCodeAt(at + 1) & 0x3f) << 12) |
      ((bytes.charCodeAt(at + 2) & 0x3f) << 6) | (bytes.charCodeAt(at + 3) & 0x3f)
    );
  }

  function charLengthAt(bytes, at) {
    var lead = bytes.charCodeAt(at);
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  }

  function previousCharStart(bytes, at) {
    var p = at - 1;
    while (p > 0 && isContinuation(bytes, p)) p--;
    return p;
  }

  // The characters of a byte string with their byte offsets.
  function charsOf(bytes, from, to) {
    var codes = [];
    var offsets = [];
    for (var at = from; at < to; at += charLengthAt(bytes, at)) {
      codes.push(codePointAt(bytes, at));
      offsets.push(at);
    }
    return { codes: codes, offsets: offsets };
  }

  // ---- The paste -------------------------------------------------------------------------

  // The paste with its UTF-8 form: `bytes`, and `byteOf[i]`, the byte offset of UTF-16 index i.
  function readPaste(text) {
    var writer = new ByteWriter(text.length * 3 + 4);
    var byteOf = new Int32Array(text.length + 1);
    for (var i = 0; i < text.length; ) {
      var cp = text.codePointAt(i);
      byteOf[i] = writer.length;
      if (cp > 0xffff) {
        byteOf[i + 1] = writer.length + 2;
        i += 2;
      } else {
        i += 1;
      }
      writer.push(cp);
    }
    byteOf[text.length] = writer.length;
    return { text: text, bytes: writer.bytes, length: writer.length, byteOf: byteOf };
  }

  function isCharBoundary(paste, at) {
    return at >= paste.length || (paste.bytes[at] & 0xc0) !== 0x80;
  }

  // The UTF-16 index of a byte offset that starts a character.
  function indexOfByte(paste, at) {
    var lo = 0;
    var hi = paste.text.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (paste.byteOf[mid] < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function sliceSpan(paste, span) {
    if (span[1] <= span[0]) return "";
    return paste.text.slice(indexOfByte(paste, span[0]), indexOfByte(paste, span[1]));
  }

  // ---- Folding ---------------------------------------------------------------------------

  // The paste folded for phrase matching (lower case, one space for any whitespace run,
  // straight quotes, no space between CJK characters) as a byte string, with the points
  // where the offset between folded and original bytes changes.
  function fold(paste) {
    var out = new ByteWriter(paste.length + 16);
    var breaksFolded = [0];
    var breaksOriginal = [0];
    var delta = 0;
    var pendingSpace = -1;
    var previous = -1;
    var text = paste.text;

    function push(cp, original) {
      var newDelta = original - out.length;
      if (newDelta !== delta) {
        breaksFolded.push(out.length);
        breaksOriginal.push(original);
        delta = newDelta;
      }
      out.push(cp);
    }

    for (var i = 0; i < text.length; ) {
      var cp = text.codePointAt(i);
      var offset = paste.byteOf[i];
      i += cp > 0xffff ? 2 : 1;
      var invisible = isInvisible(cp);
      if (invisible || isWhitespace(cp)) {
        if (pendingSpace < 0 && !invisible) pendingSpace = offset;
        continue;
      }
      if (pendingSpace >= 0) {
        var joinsCjk = previous >= 0 && isCjk(previous) && isCjk(cp);
        if (!joinsCjk && out.length > 0) push(0x20, pendingSpace);
        pendingSpace = -1;
      }
      if (cp < 0x80) {
        push(cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp, offset);
      } else {
        var folded = foldChar(cp);
        for (var k = 0; k < folded.length; ) {
          var f = folded.codePointAt(k);
          push(f, offset);
          k += f > 0xffff ? 2 : 1;
        }
      }
      previous = cp;
    }
    return { text: out.byteString(), breaksFolded: breaksFolded, breaksOriginal: breaksOriginal };
  }

  function foldString(text) {
    return fold(readPaste(text)).text;
  }

  // The original byte offset of a folded byte offset.
  function originalOffset(folded, at) {
    var lo = 0;
    var hi = folded.breaksFolded.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (folded.breaksFolded[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    var k = Math.max(lo - 1, 0);
    return folded.breaksOriginal[k] + (at - folded.breaksFolded[k]);
  }

  // The original span of a folded byte range, widened to whole characters.
  function originalSpan(folded, paste, start, end) {
    var from = Math.min(originalOffset(folded, start), paste.length);
    while (!isCharBoundary(paste, from)) from--;
    var last = originalOffset(folded, Math.max(end - 1, start));
    var to = Math.min(last + 1, paste.length);
    while (!isCharBoundary(paste, to)) to++;
    return [from, to];
  }

  // ---- Phrase search (search.rs) -----------------------------------------------------------

  // A set of phrases (byte strings) found anywhere in a text, overlaps included; a phrase's
  // id is its index.
  function PhraseSet(phrases) {
    this.phrases = phrases;
    // For long texts, scanned once: phrases by their first three bytes (shorter ones by their
    // first byte), and each phrase's rank in the order the engine's automaton reports matches
    // that end at one place (the longer first, then by id).
    this.byPrefix = new Map();
    this.shortByFirstByte = new Map();
    this.firstBytes = new Uint8Array(256);
    this.rank = new Int32Array(phrases.length);
    var ids = [];
    for (var id = 0; id < phrases.length; id++) {
      var phrase = phrases[id];
      if (!phrase) continue;
      ids.push(id);
      this.firstBytes[phrase.charCodeAt(0)] = 1;
      var lists = phrase.length >= 3 ? this.byPrefix : this.shortByFirstByte;
      var key = phrase.length >= 3 ? prefixKey(phrase, 0) : phrase.charCodeAt(0);
      if (!lists.has(key)) lists.set(key, []);
      lists.get(key).push(id);
    }
    ids.sort(function (a, b) {
      return phrases[b].length - phrases[a].length || a - b;
    });
    this.byRank = ids;
    for (var r = 0; r < ids.length; r++) this.rank[ids[r]] = r;
  }

  function prefixKey(bytes, at) {
    return (
      (bytes.charCodeAt(at) << 16) | (bytes.charCodeAt(at + 1) << 8) | bytes.charCodeAt(at + 2)
    );
  }

  // Calls visit(id, start, end) for every occurrence of every phrase, in the order the engine
  // does: a short text phrase by phrase, left to right without overlaps; a long one as its
  // Aho-Corasick automaton reports overlapping matches (by end, then by rank).
  PhraseSet.prototype.visit = function (text, visit) {
    var phrases = this.phrases;
    if (text.length <= SHORT_TEXT) {
      for (var id = 0; id < phrases.length; id++) {
        var phrase = phrases[id];
        if (!phrase) continue;
        var at = text.indexOf(phrase);
        while (at !== -1) {
          visit(id, at, at + phrase.length);
          at = text.indexOf(phrase, at + phrase.length);
        }
      }
      return;
    }
    // Each match as one number, end * 2^24 + rank, so a numeric sort gives the order.
    var found = [];
    var self = this;
    function collect(ids, at) {
      for (var k = 0; ids && k < ids.length; k++) {
        var candidate = phrases[ids[k]];
        if (text.startsWith(candidate, at)) {
          found.push((at + candidate.length) * 16777216 + self.rank[ids[k]]);
        }
      }
    }
    for (var start = 0; start < text.length; start++) {
      if (!this.firstBytes[text.charCodeAt(start)]) continue;
      if (start + 3 <= text.length) collect(this.byPrefix.get(prefixKey(text, start)), start);
      collect(this.shortByFirstByte.get(text.charCodeAt(start)), start);
    }
    var order = Float64Array.from(found).sort();
    for (var n = 0; n < order.length; n++) {
      var ranked = this.byRank[order[n] % 16777216];
      var end = Math.floor(order[n] / 16777216);
      visit(ranked, end - phrases[ranked].length, end);
    }
  };

  // Phrases found with up to one typo per ten characters. A phrase with k edits keeps one of
  // k + 1 pieces intact, so only the places where a piece occurs exactly are verified.
  function ApproximatePhrases(phrases) {
    this.phrases = phrases;
    this.chars = [];
    this.budgets = [];
    var pieces = [];
    this.pieceOwners = []; // [phrase id, byte offset of the piece in the phrase]
    for (var id = 0; id < phrases.length; id++) {
      var phrase = phrases[id];
      var chars = charsOf(phrase, 0, phrase.length);
      var n = chars.codes.length;
      var budget = n < MIN_FUZZY_CHARS ? 0 : Math.min(Math.max(Math.floor(n / 10), 1), 3);
      this.chars.push(chars.codes);
      this.budgets.push(budget);
      if (n === 0) continue;
      var count = budget + 1;
      for (var k = 0; k < count; k++) {
        var from = Math.floor((n * k) / count);
        var to = Math.floor((n * (k + 1)) / count);
        var start = chars.offsets[from];
        var end = to < n ? chars.offsets[to] : phrase.length;
        pieces.push(phrase.slice(start, end));
        this.pieceOwners.push([id, start]);
      }
    }
    this.pieces = new PhraseSet(pieces);
  }

  // Calls visit(id, start, end) for approximate occurrences (exact ones included); each
  // place once, at most MAX_REPORTS per phrase.
  ApproximatePhrases.prototype.visit = function (text, visit) {
    var self = this;
    var count = this.phrases.length;
    var reported = new Set();
    var verified = new Set();
    var reports = new Int32Array(count);
    var failures = new Int32Array(count);
    this.pieces.visit(text, function (piece, start) {
      var id = self.pieceOwners[piece][0];
      if (reports[id] >= MAX_REPORTS) return;
      var anchor = Math.max(start - self.pieceOwners[piece][1], 0);
      // Every intact piece of one occurrence points at the same place: verify it once.
      if (verified.has(anchor * count + id)) return;
      verified.add(anchor * count + id);
      var exact = self.phrases[id];
      if (text.startsWith(exact, anchor)) {
        if (!reported.has(anchor * count + id)) {
          reported.add(anchor * count + id);
          reports[id]++;
          visit(id, anchor, anchor + exact.length);
        }
        return;
      }
      if (failures[id] >= MAX_FAILED_TRIES) return;
      var budget = self.budgets[id];
      var windowStart = backChars(text, anchor, budget + 1);
      var windowEnd = forwardChars(text, anchor, self.chars[id].length + budget + 1);
      var found = bestMatch(self.chars[id], text, windowStart, windowEnd, budget);
      if (!found) {
        failures[id]++;
        return;
      }
      if (!reported.has(found[0] * count + id)) {
        reported.add(found[0] * count + id);
        reports[id]++;
        visit(id, found[0], found[1]);
      }
    });
  };

  // The byte offset `count` characters before `at` (or 0).
  function backChars(text, at, count) {
    var p = Math.min(at, text.length);
    while (p > 0 && p < text.length && isContinuation(text, p)) p--;
    for (var k = 0; k < count; k++) {
      if (p === 0) return 0;
      p = previousCharStart(text, p);
    }
    return p;
  }

  // The byte offset `count` characters after `at` (or the end).
  function forwardChars(text, at, count) {
    var p = Math.min(at, text.length);
    while (p > 0 && p < text.length && isContinuation(text, p)) p--;
    for (var k = 0; k < count && p < text.length; k++) p += charLengthAt(text, p);
    return Math.min(p, text.length);
  }

  // The part of text[from, to) closest to `phrase` within `budget` edits, as byte offsets
  // (Sellers' algorithm: edit distance with a free start and end in the window).
  function bestMatch(phrase, text, from, to, budget) {
    reserveScratch(to - from);
    var n = 0;
    for (var at = from; at < to; at += charLengthAt(text, at)) {
      scratch.chars[n] = codePointAt(text, at);
      scratch.offsets[n++] = at;
    }
    if (n === 0) return null;
    var cost = scratch.cost;
    var start = scratch.start;
    var nextCost = scratch.nextCost;
    var nextStart = scratch.nextStart;
    for (var j = 0; j <= n; j++) {
      cost[j] = 0;
      start[j] = j;
    }
    for (var i = 0; i < phrase.length; i++) {
      var p = phrase[i];
      nextCost[0] = i + 1;
      nextStart[0] = 0;
      var lowest = i + 1;
      for (j = 1; j <= n; j++) {
        var substitute = cost[j - 1] + (scratch.chars[j - 1] !== p ? 1 : 0);
        var remove = cost[j] + 1;
        var insert = nextCost[j - 1] + 1;
        if (substitute <= remove && substitute <= insert) {
          nextCost[j] = substitute;
          nextStart[j] = start[j - 1];
        } else if (remove <= insert) {
          nextCost[j] = remove;
          nextStart[j] = start[j];
        } else {
          nextCost[j] = insert;
          nextStart[j] = nextStart[j - 1];
        }
        if (nextCost[j] < lowest) lowest = nextCost[j];
      }
      // A row's lowest cost never falls in later rows.
      if (lowest > budget) return null;
      var swap = cost;
      cost = nextCost;
      nextCost = swap;
      swap = start;
      start = nextStart;
      nextStart = swap;
    }
    var end = 1;
    for (j = 2; j <= n; j++) if (cost[j] < cost[end]) end = j;
    if (cost[end] > budget) return null;
    return [start[end] < n ? scratch.offsets[start[end]] : to, end < n ? scratch.offsets[end] : to];
  }

  // The buffers of bestMatch, kept between calls (a window has no more characters than bytes).
  var scratch = { size: 0 };

  function reserveScratch(size) {
    if (size <= scratch.size) return;
    scratch = {
      size: size,
      chars: new Int32Array(size),
      offsets: new Int32Array(size),
      cost: new Int32Array(size + 1),
      start: new Int32Array(size + 1),
      nextCost: new Int32Array(size + 1),
      nextStart: new Int32Array(size + 1),
    };
  }

  // ---- The index ---------------------------------------------------------------------------

  var prepared = typeof WeakMap === "function" ? new WeakMap() : null;

  // The index made ready for matching, once per index object.
  function prepare(index) {
    if (!index || typeof index !== "object" || index.version !== INDEX_VERSION) return null;
    if (prepared && prepared.has(index)) return prepared.get(index);
    var ready = {
      families: index.families,
      entries: index.entries,
      byCode: new Map(),
      symbols: new Map(Object.entries(index.symbols)),
      aliases: new Map(index.aliases),
      labels: prepareLabels(index.labels),
      messages: prepareMessages(index.messages),
      rules: [],
      texts: null,
    };
    index.entries.forEach(function (entry, i) {
      if (entry[2] !== null) ready.byCode.set(index.families[entry[1]] + ":" + entry[2], i);
    });
    prepareRules(ready, index.rules);
    if (prepared) prepared.set(index, ready);
    return ready;
  }

  // Labels by their first byte, the longest first, for a leftmost-longest scan.
  function prepareLabels(labels) {
    var byFirstByte = new Map();
    labels.forEach(function (label) {
      var text = byteString(label[0]);
      if (!text) return;
      var list = byFirstByte.get(text.charCodeAt(0)) || [];
      list.push({ text: text, kind: label[1] });
      byFirstByte.set(text.charCodeAt(0), list);
    });
    byFirstByte.forEach(function (list) {
      list.sort(function (a, b) {
        return b.text.length - a.text.length;
      });
    });
    return byFirstByte;
  }

  function prepareMessages(messages) {
    var phrases = [];
    var fragments = []; // [message, length in characters, telling]
    messages.forEach(function (message, m) {
      message[3].forEach(function (fragment) {
        phrases.push(byteString(fragment[0]));
        fragments.push([m, fragment[1], fragment[2] === 1]);
      });
    });
    return { list: messages, fragments: fragments, phrases: new ApproximatePhrases(phrases) };
  }

  function prepareRules(ready, rules) {
    var phrases = new Interned();
    var owners = []; // for each phrase: the signature numbers that use it
    var words = new Interned();
    var number = 0;
    rules.forEach(function (rule) {
      var signatures = rule[3].map(function (s) {
        var signature = {
          number: number++,
          kind: s[0],
          weight: s[1],
          description: s[2],
          pattern: s[3],
        };
        if (s[0] === "t") {
          var id = phrases.id(s[3]);
          if (id === owners.length) owners.push([]);
          owners[id].push(signature.number);
        } else if (s[0] === "r" && s[3]) {
          signature.words = s[3][2] ? s[3][2].map(words.id, words) : null;
        }
        return signature;
      });
      ready.rules.push({ id: rule[0], title: rule[1], category: rule[2], signatures: signatures });
    });
    ready.texts = {
      owners: owners,
      exact: new PhraseSet(phrases.list),
      approximate: new ApproximatePhrases(phrases.list),
    };
    ready.words = new PhraseSet(words.list);
  }

  // Texts numbered in order of first appearance, kept as byte strings.
  function Interned() {
    this.list = [];
    this.ids = new Map();
  }

  Interned.prototype.id = function (text) {
    var id = this.ids.get(text);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(text, id);
      this.list.push(byteString(text));
    }
    return id;
  };

  // A signature's regex, compiled on first use (most pastes lack the words most regexes
  // need); null when it is missing or does not compile.
  function signatureRegex(signature) {
    if (signature.regex === undefined) {
      var pattern = signature.pattern;
      try {
        signature.regex = pattern ? new RegExp(pattern[0], pattern[1] + "g") : null;
      } catch (error) {
        signature.regex = null;
      }
    }
    return signature.regex;
  }

  function defines(ready, family, code) {
    return ready.byCode.has(family + ":" + code);
  }

  function entryFor(ready, family, code) {
    var i = ready.byCode.get(family + ":" + code);
    return i === undefined ? null : ready.entries[i];
  }

  // ---- Codes (extract.rs) ------------------------------------------------------------------

  // Codes found so far, and the byte ranges already read as a code.
  function Findings() {
    this.codes = [];
    this.takenStarts = [];
    this.takenEnds = [];
    this.seen = new Map();
  }

  // The last taken range starting before span's end, if any.
  Findings.prototype.lastStartingBefore = function (end) {
    var lo = 0;
    var hi = this.takenStarts.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (this.takenStarts[mid] < end) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };

  Findings.prototype.overlaps = function (span) {
    var k = this.lastStartingBefore(span[1]);
    return k >= 0 && this.takenEnds[k] > span[0];
  };

  Findings.prototype.take = function (span) {
    var k = this.lastStartingBefore(span[0] + 1);
    if (k >= 0 && this.takenStarts[k] === span[0]) {
      this.takenEnds[k] = span[1];
      return;
    }
    this.takenStarts.splice(k + 1, 0, span[0]);
    this.takenEnds.splice(k + 1, 0, span[1]);
  };

  Findings.prototype.push = function (raw) {
    var key = raw.code + "|" + raw.role + "|" + raw.family;
    var seen = (this.seen.get(key) || 0) + 1;
    this.seen.set(key, seen);
    if (seen <= MAX_RAW_REPEATS) this.codes.push(raw);
  };

  function isStatus(code) {
    return code >= 0x80000000;
  }

  // Hex digits without a prefix, `_` separators ignored; at most 8 significant digits.
  function parseHex(digits) {
    var cleaned = digits.split("_").join("");
    if (!/^[0-9a-fA-F]+$/.test(cleaned) || cleaned.replace(/^0+/, "").length > 8) return null;
    return parseInt(cleaned, 16);
  }

  function parseDecimal(digits) {
    if (!/^[0-9]+$/.test(digits)) return null;
    var value = Number(digits);
    return value <= 0xffffffff ? value : null;
  }

  // `0x904`, `0X0000_0904` or `2308`.
  function parseCode(text) {
    text = trimWhitespace(text);
    if (text.startsWith("0x") || text.startsWith("0X")) return parseHex(text.slice(2));
    return parseDecimal(text);
  }

  function extract(ready, paste) {
    var folded = fold(paste);
    var found = new Findings();
    findSymbols(ready, paste, found);
    findLabelled(ready, paste, folded, found);
    findBareHex(ready, paste, found);
    found.codes.sort(function (a, b) {
      return a.span[0] - b.span[0];
    });
    applyDialogShape(paste, found.codes);
    return {
      folded: folded,
      codes: mergeCodes(ready, found.codes),
      messages: findMessages(ready, paste, folded),
    };
  }

  function findSymbols(ready, paste, found) {
    var text = paste.text;
    var hasSymbols = SYMBOL_PREFIXES.some(function (prefix) {
      return text.indexOf(prefix) !== -1;
    });
    if (!hasSymbols) return;
    SYMBOLS.lastIndex = 0;
    var m;
    while ((m = SYMBOLS.exec(text)) !== null) {
      var matchEnd = m.index + m[0].length;
      SYMBOL_SUFFIX.lastIndex = matchEnd;
      var suffix = SYMBOL_SUFFIX.exec(text);
      var end = suffix ? SYMBOL_SUFFIX.lastIndex : matchEnd;
      var span = [paste.byteOf[m.index], paste.byteOf[end]];
      var hex = suffix ? parseCode(suffix[1]) : null;
      // FreeRDP 1.x and 2.x name connection errors FREERDP_ERROR_<X> for ERRCONNECT_<X>.
      var symbol = m[0].startsWith("FREERDP_ERROR_") ? "ERRCONNECT_" + m[0].slice(14) : m[0];
      var entryIndex = ready.symbols.get(symbol.toUpperCase());
      var code;
      var family;
      if (entryIndex !== undefined) {
        var entry = ready.entries[entryIndex];
        if (entry[2] === null) continue;
        code = entry[2];
        family = ready.families[entry[1]];
      } else if (hex !== null && symbol.startsWith("ERRCONNECT_")) {
        code = hex;
        family = "freerdp_errconnect";
      } else if (hex !== null && symbol.startsWith("ERRINFO_")) {
        code = hex & 0xffff;
        family = "errinfo";
      } else {
        continue;
      }
      found.take(span);
      found.push({
        code: code,
        role: "error",
        family: family,
        written: text.slice(m.index, end),
        label: null,
        span: span,
      });
    }
  }

  // Leftmost-longest label matches over the folded byte string.
  function labelMatches(ready, text) {
    var matches = [];
    for (var at = 0; at < text.length; ) {
      var candidates = ready.labels.get(text.charCodeAt(at));
      var label = null;
      for (var k = 0; candidates && k < candidates.length && !label; k++) {
        if (text.startsWith(candidates[k].text, at)) label = candidates[k];
      }
      if (label) {
        matches.push({ start: at, end: at + label.text.length, kind: label.kind });
        at += label.text.length;
      } else {
        at++;
      }
    }
    return matches;
  }

  function findLabelled(ready, paste, folded, found) {
    var haystack = folded.text;
    labelMatches(ready, haystack).forEach(function (m) {
      var first = codePointAt(haystack, m.start);
      var startsWord = isAlphanumeric(first) && !isCjk(first);
      var before = m.start > 0 ? codePointAt(haystack, previousCharStart(haystack, m.start)) : -1;
      var glued = before >= 0 && isAlphanumeric(before);
      if ((startsWord && glued) || m.kind === "host") return;
      AFTER_LABEL.lastIndex = m.end;
      var caps = AFTER_LABEL.exec(haystack);
      if (!caps) return;
      var codeEnd = AFTER_LABEL.lastIndex;
      var codeSpan = originalSpan(folded, paste, codeEnd - caps[1].length, codeEnd);
      var whole = originalSpan(folded, paste, m.start, codeEnd);
      if (found.overlaps(codeSpan)) return;
      // A 0x value keeps its meaning whatever the words before it.
      if (m.kind === "not_a_code" && caps[1].startsWith("0x")) return;
      found.take(codeSpan);
      var role = LABEL_ROLES[m.kind];
      if (!role) return;
      var written = sliceSpan(paste, codeSpan);
      var code = readLabelledNumber(ready, written, role);
      if (code === null) return;
      if (role === "error" && isStatus(code) && !isClientCode(ready, code)) role = "status";
      found.push({
        code: code,
        role: role,
        family: role === "event_id" ? "event_id" : null,
        written: written,
        label: trimEndNonAlphanumeric(sliceSpan(paste, [whole[0], codeSpan[0]])),
        span: whole,
      });
    });
  }

  function trimEndNonAlphanumeric(text) {
    var end = text.length;
    while (end > 0) {
      var cp = text.codePointAt(end - 1);
      var size = 1;
      if (cp >= 0xdc00 && cp <= 0xdfff && end >= 2) {
        cp = text.codePointAt(end - 2);
        size = 2;
      }
      if (isAlphanumeric(cp)) break;
      end -= size;
    }
    return text.slice(0, end);
  }

  // True when any family defines `code`.
  function isKnown(ready, code) {
    return ready.families.some(function (family) {
      return defines(ready, family, code);
    });
  }

  function isClientCode(ready, code) {
    return CLIENT_FAMILIES.some(function (family) {
      return defines(ready, family, code);
    });
  }

  // `0x` is hex; digits alone are decimal for event IDs, and for error codes whichever
  // reading the catalog knows (decimal first); hex letters without `0x` are hex.
  function readLabelledNumber(ready, written, role) {
    if (written.startsWith("0x") || written.startsWith("0X")) return parseCode(written);
    if (!/^[0-9]*$/.test(written)) return parseHex(written);
    var decimal = parseDecimal(written);
    if (role === "event_id") return decimal;
    var known = function (code) {
      return READINGS[role].some(function (family) {
        return defines(ready, family, code);
      });
    };
    var hex = parseHex(written);
    if (decimal !== null && known(decimal)) return decimal;
    if (hex !== null && known(hex)) return hex;
    return decimal;
  }

  function findBareHex(ready, paste, found) {
    var text = paste.text;
    if (text.indexOf("0x") === -1 && text.indexOf("0X") === -1) return;
    HEX.lastIndex = 0;
    var m;
    while ((m = HEX.exec(text)) !== null) {
      var span = [paste.byteOf[m.index], paste.byteOf[m.index + m[0].length]];
      if (found.overlaps(span)) continue;
      var code = parseCode(m[0]);
      if (code === null) continue;
      var role = isStatus(code) ? "status" : "unknown";
      // An unlabelled small number is only a code when the catalog knows it.
      if (role === "unknown" && !isKnown(ready, code)) continue;
      found.take(span);
      found.push({
        code: code,
        role: role,
        family: null,
        written: m[0],
        label: precedingLabel(text, m.index),
        span: span,
      });
    }
  }

  // The words just before a code, up to a colon, as a label in a language the table lacks.
  function precedingLabel(text, start) {
    var before = trimEndWhitespace(text.slice(0, start));
    var last = before.charAt(before.length - 1);
    if (last !== ":" && last !== "\uff1a") return null;
    before = trimEndWhitespace(before.slice(0, -1));
    var lineStart = 0;
    for (var i = before.length - 1; i >= 0; i--) {
      if ("\n.\u3002)]".indexOf(before.charAt(i)) !== -1) {
        lineStart = i + 1;
        break;
      }
    }
    var label = trimWhitespace(before.slice(lineStart));
    // More than 80 UTF-16 units is more than 40 characters.
    if (!label || label.length > 80) return null;
    var chars = Array.from(label);
    var words = label.split(" ").filter(Boolean).length;
    var plausible =
      chars.length <= 40 &&
      words <= 5 &&
      chars.every(function (c) {
        return c === " " || c === "'" || c === "-" || ALPHABETIC.test(c);
      });
    return plausible ? label : null;
  }

  // The dialog's main code followed by its extended code, in any language: a second code
  // whose label is longer and contains the first label's last word, or an unlabelled code
  // right after a labelled one (`error code 0x904 / 0x7`).
  function applyDialogShape(paste, codes) {
    for (var i = 1; i < codes.length; i++) {
      var first = codes[i - 1];
      var second = codes[i];
      var gapBytes = second.span[0] - first.span[1];
      var gap = gapBytes > 0 ? sliceSpan(paste, [first.span[1], second.span[0]]) : "";
      var rolesFit =
        (first.role === "error" || first.role === "unknown") &&
        (second.role === "error" || second.role === "unknown" || second.role === "extended");
      if (gapBytes > DIALOG_GAP_BYTES || !rolesFit) continue;
      if (first.role === "unknown" && second.role === "extended" && first.label !== null) {
        // "Error: 0x3 accompanied by Extended Error: 0x5": the code before a labelled
        // extended code is the main one.
        first.role = "error";
        continue;
      }
      if (second.role === "extended") continue;
      var extendsFirst = false;
      if (first.label !== null && second.label !== null) {
        var firstFolded = foldString(first.label);
        var secondFolded = foldString(second.label);
        var lastWord = firstFolded.slice(firstFolded.lastIndexOf(" ") + 1);
        extendsFirst =
          secondFolded.length > firstFolded.length &&
          (secondFolded.indexOf(firstFolded) !== -1 || secondFolded.indexOf(lastWord) !== -1);
      } else if (first.label !== null) {
        var between = trimWhitespace(gap);
        extendsFirst =
          first.role === "error" && second.role === "unknown" && /^[\/,]+$/.test(between);
      }
      if (extendsFirst) {
        second.role = "extended";
        if (first.role === "unknown") first.role = "error";
      }
    }
  }

  // The families `code` can be read in for its role; a number the catalog knows only as
  // another spelling becomes that entry's code.
  function readingsOf(ready, code, role, family) {
    if (family !== null) return { code: code, readings: [family] };
    var readings = READINGS[role].filter(function (f) {
      return defines(ready, f, code);
    });
    if (readings.length === 0 && (role === "error" || role === "unknown")) {
      var alias = ready.aliases.get(code);
      if (alias !== undefined && ready.entries[alias][2] !== null) {
        var entry = ready.entries[alias];
        return { code: entry[2], readings: [ready.families[entry[1]]] };
      }
    }
    return { code: code, readings: readings };
  }

  // Resolves families and names, and merges repeated findings.
  function mergeCodes(ready, raws) {
    var merged = [];
    var byKey = new Map();
    raws.forEach(function (raw) {
      var read = readingsOf(ready, raw.code, raw.role, raw.family);
      var key = read.code + "|" + raw.role + "|" + read.readings[0];
      var existing = byKey.get(key);
      if (existing !== undefined) {
        if (existing.spans.length < MAX_SPANS) existing.spans.push(raw.span);
        return;
      }
      var entry = read.readings.length ? entryFor(ready, read.readings[0], read.code) : null;
      var code = {
        code: read.code,
        role: raw.role,
        readings: read.readings,
        name: entry ? entry[3] : null,
        written: raw.written,
        label: raw.label,
        spans: [raw.span],
      };
      byKey.set(key, code);
      merged.push(code);
    });
    return merged;
  }

  // ---- Catalog messages --------------------------------------------------------------------

  // Catalog messages of which at least half is found, or one long fragment no other entry
  // shares. Of two messages of one entry with the same coverage, the first in the catalog.
  function findMessages(ready, paste, folded) {
    var index = ready.messages;
    var hits = new Map(); // message -> { patterns, spans }
    index.phrases.visit(folded.text, function (pattern, start, end) {
      var message = index.fragments[pattern][0];
      var slot = hits.get(message);
      if (!slot) {
        slot = { patterns: [], spans: [] };
        hits.set(message, slot);
      }
      if (slot.patterns.indexOf(pattern) === -1) {
        slot.patterns.push(pattern);
        slot.spans.push(originalSpan(folded, paste, start, end));
      }
    });
    var best = new Map(); // entry -> found message
    Array.from(hits.keys())
      .sort(function (a, b) {
        return a - b;
      })
      .forEach(function (message) {
        var slot = hits.get(message);
        var meta = index.list[message];
        var matched = 0;
        var telling = false;
        slot.patterns.forEach(function (p) {
          matched += index.fragments[p][1];
          telling = telling || index.fragments[p][2];
        });
        var coverage = matched / meta[2];
        if (coverage < 0.5 && !telling) return;
        var entry = ready.entries[meta[0]];
        var candidate = {
          key: entry[0],
          family: ready.families[entry[1]],
          code: entry[2],
          name: entry[3],
          lang: meta[1],
          coverage: Math.round(coverage * 100) / 100,
          spans: slot.spans.slice().sort(compareSpans).slice(0, MAX_SPANS),
        };
        var previous = best.get(meta[0]);
        if (!previous || candidate.coverage > previous.coverage) best.set(meta[0], candidate);
      });
    return Array.from(best.values()).sort(function (a, b) {
      var start = (a.spans.length ? a.spans[0][0] : 0) - (b.spans.length ? b.spans[0][0] : 0);
      return start || compareStrings(a.key, b.key);
    });
  }

  function compareSpans(a, b) {
    return a[0] - b[0] || a[1] - b[1];
  }

  function compareStrings(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // ---- Ranking (matcher.rs) ----------------------------------------------------------------

  // Where each text signature occurs: exactly, or else approximately.
  function textHits(ready, paste, folded) {
    var texts = ready.texts;
    var hits = new Map(); // signature number -> { spans, approximate }
    var exact = new Uint8Array(texts.owners.length);
    function record(id, start, end, approximate) {
      texts.owners[id].forEach(function (number) {
        var slot = hits.get(number);
        if (!slot) {
          slot = { spans: [], approximate: false };
          hits.set(number, slot);
        }
        slot.approximate = slot.approximate || approximate;
        if (slot.spans.length < MAX_SPANS) slot.spans.push(originalSpan(folded, paste, start, end));
      });
    }
    texts.exact.visit(folded.text, function (id, start, end) {
      exact[id] = 1;
      record(id, start, end, false);
    });
    texts.approximate.visit(folded.text, function (id, start, end) {
      if (!exact[id]) record(id, start, end, true);
    });
    return hits;
  }

  // The spans of every code of a signature, or null when one is missing. A code also counts
  // as present when the paste shows its catalog message without the number.
  function matchCodes(ready, codeRefs, extraction) {
    var spans = [];
    for (var i = 0; i < codeRefs.length; i++) {
      var family = codeRefs[i][0] === null ? null : ready.families[codeRefs[i][0]];
      var value = codeRefs[i][1];
      var code = extraction.codes.find(function (c) {
        return c.code === value && (family === null || c.readings.indexOf(family) !== -1);
      });
      if (code) {
        spans.push(code.spans[0]);
        continue;
      }
      var message = extraction.messages.find(function (m) {
        return m.code === value && (family === null || m.family === family);
      });
      if (!message) return null;
      if (message.spans.length) spans.push(message.spans[0]);
    }
    return spans;
  }

  // Up to MAX_SPANS matches, found as the engine's `find_iter` finds them: no overlaps, and
  // no empty match right where the previous match ended.
  function regexSpans(regex, paste) {
    var text = paste.text;
    var spans = [];
    var at = 0;
    var lastEnd = -1;
    while (at <= text.length && spans.length < MAX_SPANS) {
      regex.lastIndex = at;
      var m = regex.exec(text);
      if (m === null) break;
      var end = m.index + m[0].length;
      if (end === m.index && end === lastEnd) {
        at = m.index + (text.codePointAt(m.index) > 0xffff ? 2 : 1);
        continue;
      }
      spans.push([paste.byteOf[m.index], paste.byteOf[end]]);
      lastEnd = end;
      at = end;
    }
    return spans;
  }

  // The spans where a signature matches, or null; `shared` holds what all signatures use.
  function signatureSpans(ready, signature, shared) {
    switch (signature.kind) {
      case "c":
        return matchCodes(ready, signature.pattern, shared.extraction);
      case "t":
        return shared.texts.get(signature.number) || null;
      case "m": {
        var message = shared.extraction.messages.find(function (m) {
          return m.key === signature.pattern;
        });
        return message ? message.spans : null;
      }
      case "r": {
        // As in the engine: a regex none of whose required words occur cannot match.
        var possible =
          !signature.words ||
          signature.words.some(function (id) {
            return shared.words[id] === 1;
          });
        var regex = possible ? signatureRegex(signature) : null;
        if (!regex) return null;
        var spans = regexSpans(regex, shared.paste);
        return spans.length ? spans : null;
      }
      default:
        return null;
    }
  }

  // Which required words occur in the folded paste.
  function presentWords(ready, folded) {
    var present = new Uint8Array(ready.words.phrases.length);
    ready.words.visit(folded.text, function (id) {
      present[id] = 1;
    });
    return present;
  }

  // Ranks the rules that match, best first.
  function rank(ready, extraction, paste) {
    var shared = {
      extraction: extraction,
      paste: paste,
      texts: textHits(ready, paste, extraction.folded),
      words: presentWords(ready, extraction.folded),
    };
    var candidates = [];
    ready.rules.forEach(function (rule) {
      var evidence = [];
      rule.signatures.forEach(function (signature) {
        var found = signatureSpans(ready, signature, shared);
        if (found === null) return;
        var approximate = signature.kind === "t" && found.approximate;
        evidence.push({
          signature: signature,
          description: signature.description + (approximate ? " (approximately)" : ""),
          weight: signature.weight,
          spans: signature.kind === "t" ? found.spans : found,
        });
      });
      var raw = evidence.reduce(function (sum, e) {
        return sum + e.weight;
      }, 0);
      if (raw > 0) {
        candidates.push({
          rule: rule,
          raw: raw,
          evidence: evidence,
          specificity: specificity(evidence),
        });
      }
    });
    candidates.sort(compareCandidates);
    return candidates;
  }

  // More matched signatures, then more codes matched, then longer matched text (bytes).
  function specificity(evidence) {
    var positive = 0;
    var codes = 0;
    var text = 0;
    evidence.forEach(function (e) {
      if (e.weight > 0) positive++;
      if (e.signature.kind === "c") codes += e.signature.pattern.length;
      if (e.spans.length) text += e.spans[0][1] - e.spans[0][0];
    });
    return [positive, codes, text];
  }

  function compareCandidates(a, b) {
    if (a.raw !== b.raw) return a.raw > b.raw ? -1 : 1;
    for (var k = 0; k < 3; k++) {
      if (a.specificity[k] !== b.specificity[k]) return b.specificity[k] - a.specificity[k];
    }
    return compareStrings(a.rule.id, b.rule.id);
  }

  // 1 - 0.5^(raw / 3): evidence worth 3 gives 0.5, 6 gives 0.75; never 1.
  function confidence(raw) {
    var value = 1 - Math.pow(0.5, Math.max(raw, 0) / HALF_CONFIDENCE);
    return Math.round(value * 100) / 100;
  }

  // ---- The result --------------------------------------------------------------------------

  function hexCode(code) {
    return "0x" + code.toString(16);
  }

  function present(extraction, candidates, paste, truncated) {
    return {
      codes: extraction.codes.map(function (c) {
        return {
          code: hexCode(c.code),
          role: c.role,
          family: c.readings.length ? c.readings[0] : null,
          name: c.name,
          written: c.written,
          label: c.label,
        };
      }),
      messages: extraction.messages.map(function (m) {
        return { key: m.key, name: m.name, lang: m.lang, coverage: m.coverage };
      }),
      candidates: candidates.map(function (c) {
        return {
          id: c.rule.id,
          title: c.rule.title,
          category: c.rule.category,
          raw: c.raw,
          score: confidence(c.raw),
          evidence: c.evidence.map(function (e) {
            return {
              description: e.description,
              weight: e.weight,
              excerpts: e.spans.map(function (span) {
                return sliceSpan(paste, span);
              }),
            };
          }),
        };
      }),
      truncated: truncated,
    };
  }

  // Diagnoses `text` with `index` (by default the page's RDP_DOCTOR_MATCHER).
  function diagnose(text, index) {
    var ready = prepare(index === undefined ? globalThis.RDP_DOCTOR_MATCHER : index);
    var input = typeof text === "string" ? text : "";
    var truncated = input.length > MAX_PASTE_CHARS;
    if (truncated) {
      var cut = MAX_PASTE_CHARS;
      var unit = input.charCodeAt(cut - 1);
      if (unit >= 0xd800 && unit <= 0xdbff) cut--;
      input = input.slice(0, cut);
    }
    var paste = readPaste(wellFormed(input));
    if (!ready) return { codes: [], messages: [], candidates: [], truncated: truncated };
    var extraction = extract(ready, paste);
    return present(extraction, rank(ready, extraction, paste), paste, truncated);
  }

  globalThis.RdpDoctor = { diagnose: diagnose };
})();
