// Checks that the website's paste box, which runs rdp-doctor's engine compiled to WebAssembly,
// reads and ranks texts exactly as the command line does: the same codes with the same roles
// and families, and every candidate (rules, then catalog meanings) with the same score, in the
// same order (not only the top 3).
//
//   node tests/browser/agreement.mjs SITE_DIR
//
// runs the site's engine in Node over every rule example and counter-example, every spelling
// of tests/fixtures/extract/spellings.yaml and every lab paste of tests/fixtures/pastes/lab,
// prints each disagreement and exits with 1 when there is one. The browser tests run the same
// comparison in Chromium. RDP_DOCTOR names the binary (default target/debug/rdp-doctor).

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { parse as parseYaml } from "yaml";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Every text to compare: `{ what, text }`. */
export function agreementTexts(binary) {
  const texts = [];
  let stdout;
  try {
    stdout = execFileSync(binary, ["rules", "test", "--format", "json"], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // Exit code 1: an example failed its own test; the outcomes are still printed.
    if (error.status !== 1) throw error;
    stdout = error.stdout;
  }
  for (const o of JSON.parse(stdout)) {
    const kind = o.counter ? "counter-example" : "example";
    texts.push({ what: `${o.rule} ${kind} ${o.index + 1}`, text: o.text });
  }
  const spellings = parseYaml(readFileSync(join(ROOT, "tests/fixtures/extract/spellings.yaml"), "utf8"));
  spellings.forEach((s, i) => texts.push({ what: `spelling ${i + 1}`, text: s.text }));
  const lab = join(ROOT, "tests/fixtures/pastes/lab");
  for (const file of readdirSync(lab).filter((f) => f.endsWith(".txt")).sort()) {
    texts.push({ what: `lab paste ${file}`, text: readFileSync(join(lab, file), "utf8") });
  }
  return texts;
}

/** What must agree, from the command line's JSON report. */
function fromReport(report) {
  return {
    codes: report.input.codes.map((c) => [c.code, c.role, c.family ?? null]),
    candidates: report.diagnoses.map((d) => [d.rule ?? d.entry, d.score]),
  };
}

/**
 * The command line's JSON report of `text` (given on standard input), with `extra` arguments
 * before the command (`--rules DIR`). Exit code 1, nothing matched, still prints a report.
 */
export function cliReport(binary, text, extra = []) {
  let stdout;
  try {
    stdout = execFileSync(binary, [...extra, "diagnose", "--format", "json", "-"], {
      input: text,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    if (error.status !== 1) throw error;
    stdout = error.stdout;
  }
  return JSON.parse(stdout);
}

/** The command line's reading of every text, `[{ what, text, cli }]`. */
export function cliReadings(binary, texts) {
  return texts.map(({ what, text }) => ({ what, text, cli: fromReport(cliReport(binary, text)) }));
}

/**
 * Compares the command line's readings with what `diagnose(text)` answers and returns
 * `{ total, disagreements: [{ what, cli, browser }] }`. It uses nothing outside its own body,
 * so a browser test can send its source to a page (`new Function("return " + compare)()`).
 */
export function compare(cases, diagnose) {
  const disagreements = [];
  for (const { what, text, cli } of cases) {
    const answer = diagnose(text);
    const browser = {
      codes: answer.codes.map((c) => [c.code, c.role, c.family ?? null]),
      candidates: answer.candidates.map((c) => [c.id, c.score]),
    };
    if (JSON.stringify(browser) !== JSON.stringify(cli)) {
      disagreements.push({ what, cli, browser });
    }
  }
  return { total: cases.length, disagreements };
}

/** Loads the site's engine and knowledge in Node as a page would; resolves to `diagnose`. */
export async function loadEngine(siteDir) {
  const context = vm.createContext({ TextEncoder, TextDecoder, WebAssembly, atob });
  context.window = context;
  for (const name of ["knowledge.js", "engine-module.js", "engine.js"]) {
    const path = join(siteDir, "assets", name);
    vm.runInContext(readFileSync(path, "utf8"), context, { filename: path });
  }
  await context.RdpDoctor.ready;
  return (text) => context.RdpDoctor.diagnose(text);
}

/** Inputs the engine must survive without throwing; returns the ones that made it throw. */
export function hostileInputs(diagnose) {
  const binary = Array.from({ length: 4096 }, (_, i) => String.fromCharCode((i * 7919) % 65536));
  const inputs = [
    "",
    " ",
    "\u0000\uFFFF\uD800\uDC00\uDFFF\uD83D",
    binary.join(""),
    "Error code: 0x904 Extended error code: 0x7 ".repeat(20000),
    "0x".repeat(100000),
    "ERRINFO_".repeat(5000) + "(0x1)",
    "\u0130\u023A\u1E9E".repeat(1000) + " error code: 0x904",
    "a".repeat(3000000),
    undefined,
    null,
    42,
  ];
  const failures = [];
  for (const input of inputs) {
    try {
      diagnose(input);
    } catch (error) {
      failures.push({ input: String(input).slice(0, 40), error: String(error) });
    }
  }
  return failures;
}

export function binaryPath() {
  const target = process.env.CARGO_TARGET_DIR || join(ROOT, "target");
  return process.env.RDP_DOCTOR || join(target, "debug", "rdp-doctor");
}

async function main(args) {
  if (args.length !== 1) {
    console.error("usage: agreement.mjs SITE_DIR");
    return 2;
  }
  const binary = binaryPath();
  const cases = cliReadings(binary, agreementTexts(binary));
  const diagnose = await loadEngine(args[0]);
  const { total, disagreements } = compare(cases, diagnose);
  for (const d of disagreements) {
    console.log(`${d.what}:`);
    console.log(`  cli:     ${JSON.stringify(d.cli)}`);
    console.log(`  browser: ${JSON.stringify(d.browser)}`);
  }
  console.log(`${total - disagreements.length}/${total} texts read and ranked alike`);
  const failures = hostileInputs(diagnose);
  for (const f of failures) console.log(`throws on ${JSON.stringify(f.input)}: ${f.error}`);
  return disagreements.length || failures.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
