// Checks that the site's in-browser matcher ranks every rule example as the command line does.
//
//   rdp-doctor rules test --format json > outcomes.json
//   node tests/browser/agreement.mjs SITE/assets/matcher-index.js site/assets/matcher.js \
//     outcomes.json
//
// For each example and counter-example the top 3 rule ids of the browser's diagnosis must equal
// the command line's `top`. Prints every disagreement and exits with 1 when there is one; it
// also feeds the matcher hostile input (empty, huge, binary) that must not make it throw.
// Node 20 or later, no packages.

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import vm from "node:vm";

/**
 * Compares the command line's outcomes (`{rule, counter, index, top, text}`) with what
 * `diagnose(text)` ranks, and returns `{ total, disagreements: [{rule, counter, index, cli,
 * browser}] }`. It uses nothing outside its own body, so a browser test can send its source to
 * a page (`new Function("return " + compare)()`) and run it beside the page's matcher.
 */
export function compare(outcomes, diagnose) {
  const TOP = 3;
  const disagreements = [];
  for (const outcome of outcomes) {
    const browser = diagnose(outcome.text)
      .candidates.slice(0, TOP)
      .map((candidate) => candidate.id);
    const cli = outcome.top.slice(0, TOP);
    if (browser.join("\n") !== cli.join("\n")) {
      disagreements.push({
        rule: outcome.rule,
        counter: outcome.counter,
        index: outcome.index,
        cli,
        browser,
      });
    }
  }
  return { total: outcomes.length, disagreements };
}

/** Loads the exported index and the matcher as a page would, and returns its `diagnose`. */
export function loadMatcher(indexPath, matcherPath) {
  const context = vm.createContext({});
  context.window = context;
  vm.runInContext(readFileSync(indexPath, "utf8"), context, { filename: indexPath });
  vm.runInContext(readFileSync(matcherPath, "utf8"), context, { filename: matcherPath });
  return (text, index) => context.RdpDoctor.diagnose(text, index);
}

/** Inputs the matcher must survive without throwing; returns the ones that made it throw. */
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
  for (const index of [null, {}, { version: 999 }]) {
    try {
      diagnose("Error code: 0x904", index);
    } catch (error) {
      failures.push({ input: `index ${JSON.stringify(index)}`, error: String(error) });
    }
  }
  return failures;
}

function main(args) {
  if (args.length !== 3) {
    console.error("usage: agreement.mjs MATCHER_INDEX_JS MATCHER_JS OUTCOMES_JSON");
    return 2;
  }
  const [indexPath, matcherPath, outcomesPath] = args;
  const diagnose = loadMatcher(indexPath, matcherPath);
  const outcomes = JSON.parse(readFileSync(outcomesPath, "utf8"));
  const { total, disagreements } = compare(outcomes, diagnose);
  for (const d of disagreements) {
    const kind = d.counter ? "counter-example" : "example";
    console.log(`${d.rule} ${kind} ${d.index + 1}:`);
    console.log(`  cli:     ${d.cli.join(", ") || "(nothing)"}`);
    console.log(`  browser: ${d.browser.join(", ") || "(nothing)"}`);
  }
  console.log(`${total - disagreements.length}/${total} examples agree`);
  const failures = hostileInputs(diagnose);
  for (const f of failures) console.log(`throws on ${JSON.stringify(f.input)}: ${f.error}`);
  return disagreements.length || failures.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
