// rdp-doctor's engine in the page: instantiates the WebAssembly module of engine-module.js
// (RDP_DOCTOR_ENGINE, base64), loads the knowledge of knowledge.js (RDP_DOCTOR_KNOWLEDGE, the
// catalog and rule files as JSON) into it, and offers window.RdpDoctor:
//   RdpDoctor.ready        a promise, settled once the engine is loaded (rejected on failure)
//   RdpDoctor.diagnose(t)  the diagnosis of a paste: { codes, messages, hosts, candidates,
//                          truncated }; it throws until the engine is ready.
//   RdpDoctor.redact(t)    the paste with its host names, addresses, user and domain names and
//                          e-mail addresses replaced by placeholders: { text, hidden }.
// The extraction and ranking are the command line's own Rust code: nothing is re-implemented
// here.
(function () {
  "use strict";

  var encoder = new TextEncoder();
  var decoder = new TextDecoder();
  var engine = null;

  function bytesOf(base64) {
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // Hands `text` to the export `name` as UTF-8 and returns its JSON answer.
  function call(exports, name, text) {
    var bytes = encoder.encode(text);
    var at = exports.alloc(bytes.length);
    new Uint8Array(exports.memory.buffer, at, bytes.length).set(bytes);
    var status = exports[name](at, bytes.length);
    var answer = decoder.decode(
      new Uint8Array(exports.memory.buffer, exports.output_ptr(), exports.output_len())
    );
    if (status !== 0) throw new Error("rdp-doctor engine: " + answer);
    return JSON.parse(answer);
  }

  function start() {
    if (typeof WebAssembly !== "object") {
      return Promise.reject(new Error("this browser does not run WebAssembly"));
    }
    if (typeof window.RDP_DOCTOR_ENGINE !== "string" || typeof window.RDP_DOCTOR_KNOWLEDGE !== "string") {
      return Promise.reject(new Error("the engine or the knowledge script did not load"));
    }
    return WebAssembly.instantiate(bytesOf(window.RDP_DOCTOR_ENGINE), {}).then(function (result) {
      var exports = result.instance.exports;
      var loaded = call(exports, "load", window.RDP_DOCTOR_KNOWLEDGE);
      engine = exports;
      return loaded;
    });
  }

  function diagnose(text) {
    if (!engine) throw new Error("rdp-doctor engine: not loaded yet (wait for RdpDoctor.ready)");
    return call(engine, "diagnose", typeof text === "string" ? text : "");
  }

  function redact(text) {
    if (!engine) throw new Error("rdp-doctor engine: not loaded yet (wait for RdpDoctor.ready)");
    return call(engine, "redact", typeof text === "string" ? text : "");
  }

  window.RdpDoctor = { ready: start(), diagnose: diagnose, redact: redact };
})();
