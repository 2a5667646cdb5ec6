// Time to first diagnosis of the home page's paste box in headless Chromium, for the sites
// built by bench/paste-box.sh: the JavaScript matcher (old) and the WebAssembly engine (new).
//
//   node bench/paste-box.mjs --seed FILE --new SITE [--old SITE] [--runs N] [--warmup N]
//                            [--chromium PATH] [--calls N]
//
// Each run opens index.html#q=<seed> in a new browser context and records, in the page:
//   first     performance.now() when the first `#results li.candidate` exists (a
//             MutationObserver installed before any script of the page runs)
//   dcl       DOMContentLoaded (every deferred script has run by then)
//   ready     new site only: from engine.js starting (its first read of RDP_DOCTOR_ENGINE) to
//             RdpDoctor.ready resolving (WebAssembly instantiation + loading the knowledge)
//   warm      the duration of each of CALLS more RdpDoctor.diagnose(seed) calls
// and the ids of the first 3 candidates. Prints a Markdown table to stdout, progress to stderr.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CHROMIUM_ARGS } from "../tests/browser/chromium.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(REPO, "tests/browser/package.json"));
const { chromium } = require("playwright-core");

function options(argv) {
  const o = { runs: 10, warmup: 1, calls: 20, chromium: "/usr/bin/chromium" };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (!name.startsWith("--") || value === undefined) throw new Error(`bad argument ${name}`);
    o[name.slice(2)] = value;
  }
  for (const k of ["runs", "warmup", "calls"]) {
    o[k] = Number(o[k]);
    if (!Number.isInteger(o[k]) || o[k] < (k === "warmup" ? 0 : 1)) throw new Error(`--${k} must be a whole number`);
  }
  if (!o.seed || !o.new) throw new Error("--seed and --new are required");
  return o;
}

const log = (...a) => console.error(...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const min = (xs) => Math.min(...xs);
const fmt = (x, digits = 1) => (x === undefined || Number.isNaN(x) ? "–" : x.toFixed(digits));

// Runs in the page before any of its scripts.
function probe() {
  const bench = (window.__bench = { first: null, ids: null, engineStart: null, ready: null, readyError: null });
  const found = () => {
    if (bench.first !== null) return;
    const first = document.querySelector("#results li.candidate");
    if (!first) return;
    bench.first = performance.now();
    bench.ids = [...document.querySelectorAll("#results li.candidate")].slice(0, 3).map((li) => li.dataset.rule);
    observer.disconnect();
  };
  const observer = new MutationObserver(found);
  observer.observe(document, { childList: true, subtree: true });
  // The new site: engine-module.js sets RDP_DOCTOR_ENGINE, engine.js reads it first thing.
  let engine;
  Object.defineProperty(window, "RDP_DOCTOR_ENGINE", {
    configurable: true,
    get() {
      if (bench.engineStart === null) bench.engineStart = performance.now();
      return engine;
    },
    set(value) {
      engine = value;
    },
  });
  // engine.js assigns RdpDoctor once it has started instantiating: watch its ready promise.
  let api;
  Object.defineProperty(window, "RdpDoctor", {
    configurable: true,
    get() {
      return api;
    },
    set(value) {
      api = value;
      if (value && value.ready && typeof value.ready.then === "function") {
        value.ready.then(
          () => (bench.ready = performance.now()),
          (e) => (bench.readyError = String(e && e.message ? e.message : e)),
        );
      }
    },
  });
}

async function measure(browser, version, url, seed, calls) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(60000);
  const blocked = [];
  await context.route(/^(?!file:)/, (route) => {
    blocked.push(route.request().url());
    return route.abort();
  });
  await context.addInitScript(probe);
  const errors = [];
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  try {
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => window.__bench.first !== null || window.__bench.readyError !== null);
    const b = await page.evaluate(() => window.__bench);
    if (b.readyError) throw new Error(`${version}: the engine did not start: ${b.readyError}`);
    const dcl = await page.evaluate(() => performance.getEntriesByType("navigation")[0].domContentLoadedEventStart);
    const warm = await page.evaluate(
      async ([text, n]) => {
        await window.RdpDoctor.ready;
        const times = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const d = window.RdpDoctor.diagnose(text);
          times.push(performance.now() - t0);
          if (!d || !d.candidates || !d.candidates.length) throw new Error("no candidate");
        }
        return times;
      },
      [seed, calls],
    );
    if (errors.length) throw new Error(`${version}: page errors: ${errors.join("; ")}`);
    if (blocked.length) log(`${version}: blocked ${blocked.length} request(s): ${blocked.join(", ")}`);
    return {
      first: b.first,
      dcl,
      ready: b.engineStart !== null && b.ready !== null ? b.ready - b.engineStart : undefined,
      engineStart: b.engineStart ?? undefined,
      ids: b.ids,
      warm,
      blocked: blocked.length,
    };
  } finally {
    await context.close();
  }
}

async function main() {
  const o = options(process.argv.slice(2));
  const seed = readFileSync(o.seed, "utf8");
  const versions = [];
  if (o.old) versions.push({ name: "old", label: "old: JavaScript matcher", site: o.old });
  versions.push({ name: "new", label: "new: WebAssembly engine", site: o.new });
  for (const v of versions) {
    if (!existsSync(path.join(v.site, "index.html"))) throw new Error(`no index.html in ${v.site}`);
    v.url = pathToFileURL(path.join(v.site, "index.html")).href + "#q=" + encodeURIComponent(seed);
    v.results = [];
  }

  const browser = await chromium.launch({
    executablePath: o.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  log(`Chromium ${browser.version()}, ${o.runs} run(s) per version after ${o.warmup} warm-up round(s)`);
  try {
    for (let round = -o.warmup; round < o.runs; round++) {
      const order = (round + o.warmup) % 2 === 0 ? versions : [...versions].reverse();
      for (const v of order) {
        const r = await measure(browser, v.name, v.url, seed, o.calls);
        if (round >= 0) v.results.push(r);
        log(
          `${round < 0 ? "warm-up" : `run ${round + 1}`} ${v.name}: first diagnosis ${fmt(r.first)} ms` +
            `, DOMContentLoaded ${fmt(r.dcl)} ms` +
            (r.ready !== undefined ? `, engine.js started ${fmt(r.engineStart)} ms, ready ${fmt(r.ready)} ms later` : "") +
            `, warm diagnose ${fmt(median(r.warm), 2)} ms, top 3 ${r.ids.join(" ")}`,
        );
      }
    }
  } finally {
    await browser.close();
  }

  // Summary.
  for (const v of versions) {
    const rs = v.results;
    v.first = median(rs.map((r) => r.first));
    v.firstMin = min(rs.map((r) => r.first));
    v.dcl = median(rs.map((r) => r.dcl));
    const readies = rs.map((r) => r.ready).filter((x) => x !== undefined);
    v.ready = readies.length ? median(readies) : undefined;
    v.warm = median(rs.flatMap((r) => r.warm));
    v.idSets = [...new Set(rs.map((r) => r.ids.join(" ")))];
    v.blocked = rs.reduce((n, r) => n + r.blocked, 0);
  }
  const out = [];
  out.push(
    `| version | runs | first diagnosis, median (ms) | first diagnosis, min (ms) | DOMContentLoaded, median (ms) | RdpDoctor.ready, median (ms) | warm diagnose, median of ${o.calls}×runs (ms) |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const v of versions) {
    out.push(
      `| ${v.label} | ${v.results.length} | ${fmt(v.first)} | ${fmt(v.firstMin)} | ${fmt(v.dcl)} | ${
        v.ready === undefined ? "–" : fmt(v.ready)
      } | ${fmt(v.warm, 2)} |`,
    );
  }
  const [oldV, newV] = versions.length === 2 ? versions : [undefined, versions[0]];
  if (oldV) {
    out.push(
      `| new / old | | ×${fmt(newV.first / oldV.first, 2)} | ×${fmt(newV.firstMin / oldV.firstMin, 2)} | ×${fmt(
        newV.dcl / oldV.dcl,
        2,
      )} | | ×${fmt(newV.warm / oldV.warm, 2)} |`,
    );
  }
  out.push("");
  for (const v of versions) {
    out.push(`First 3 candidates (${v.name}): ${v.idSets.map((s) => "`" + s + "`").join(" / ")}`);
    if (v.idSets.length > 1) out.push(`WARNING: the ${v.name} site's first 3 candidates changed between runs`);
  }
  if (oldV) {
    const same = oldV.idSets.length === 1 && newV.idSets.length === 1 && oldV.idSets[0] === newV.idSets[0];
    out.push(same ? "Both versions agree on the first 3 candidates of the seed." : "WARNING: the two versions DISAGREE on the first 3 candidates of the seed.");
  } else {
    out.push("Only the new version was measured (no old binary).");
  }
  const blocked = versions.reduce((n, v) => n + v.blocked, 0);
  out.push(`Requests other than file:// blocked: ${blocked}.`);
  console.log(out.join("\n"));
}

main().catch((e) => {
  console.error(`paste-box.mjs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
