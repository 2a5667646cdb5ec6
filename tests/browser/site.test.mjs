// The website in a real browser: Debian's headless Chromium opens the built pages from file://
// and checks the paste box, search, rule and code pages, dark mode, printing, small screens,
// accessibility (axe-core on every kind of page) and that no text of a rule can run as script.
//
// tests/browser/run.sh builds the two sites this reads and then runs it; by hand:
//   RDP_DOCTOR=target/debug/rdp-doctor node --test tests/browser/
// Environment: RDP_DOCTOR (the binary), SITE_DIR and XSS_SITE_DIR (built sites), CHROMIUM
// (default /usr/bin/chromium), SCREENSHOT_DIR (default target/browser-screenshots).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { agreementTexts, cliReadings, cliReport, compare, hostileInputs } from "./agreement.mjs";
import { CHROMIUM_ARGS } from "./chromium.mjs";
import { createRequire } from "node:module";

// axe-core, run in each page through the DevTools protocol (the pages' CSP allows no inline
// script, and the test must not loosen it).
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fromRepo = (p) => path.resolve(REPO, p);
const SITE = fromRepo(process.env.SITE_DIR || "target/site-test/site");
const XSS_SITE = fromRepo(process.env.XSS_SITE_DIR || "target/site-test/xss");
const SHOTS = fromRepo(process.env.SCREENSHOT_DIR || "target/browser-screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const RDP_DOCTOR = fromRepo(
  process.env.RDP_DOCTOR || path.join(process.env.CARGO_TARGET_DIR || "target", "debug", "rdp-doctor"),
);
const XSS_RULES = fromRepo("tests/fixtures/rules/xss");
const SEED = readFileSync(fromRepo("tests/fixtures/pastes/seed-0x904-0x7.txt"), "utf8");

const SCRIPT = "<script>alert(1)</script>";
const IMG = '"><img src=x onerror=alert(1)>';
const XSS_PASTE = `xss probe ${SCRIPT} ${IMG} Error code: 0x904.`;

/** The file:// URL of a page of a built site, with an optional query or hash. */
function pageUrl(site, relative, suffix = "") {
  return pathToFileURL(path.join(site, relative)).href + suffix;
}

/** Runs the command-line diagnosis of `text` and returns its JSON report. */
function cliDiagnose(text, extra = []) {
  return cliReport(RDP_DOCTOR, text, extra);
}

let context;
let userDataDir;
/** Every URL any page asked for. */
const requests = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install the chromium package`);
  assert.ok(existsSync(path.join(SITE, "index.html")), `no site at ${SITE}: run tests/browser/run.sh`);
  assert.ok(existsSync(path.join(XSS_SITE, "index.html")), `no site at ${XSS_SITE}: run tests/browser/run.sh`);
  assert.ok(existsSync(RDP_DOCTOR), `no rdp-doctor binary at ${RDP_DOCTOR}: set RDP_DOCTOR`);
  mkdirSync(SHOTS, { recursive: true });
  userDataDir = mkdtempSync(path.join(tmpdir(), "rdp-doctor-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
    timezoneId: "UTC",
  });
  // Local pages answer at once: a broken page should fail in seconds, not in half a minute.
  context.setDefaultTimeout(5000);
  context.on("request", (request) => requests.push(request.url()));
  // Anything that is not a local file is refused before it leaves, and recorded.
  await context.route(/^(?!file:)/, (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await context.addInitScript(() => {
    window.__problems = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__problems.push(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
    // A payload that runs calls one of these: remember it instead of opening a dialog.
    window.__xss = false;
    const caught = () => {
      window.__xss = true;
    };
    for (const name of ["alert", "confirm", "prompt"]) {
      Object.defineProperty(window, name, { value: caught, writable: false, configurable: false });
    }
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/**
 * A new page that records its console errors, uncaught exceptions, dialogs and CSP
 * violations; `check()` asserts there were none and that no request left the machine.
 */
async function openPage({ width = 1280, height = 900 } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog ${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("requestfailed", (request) => {
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.check = async () => {
    const inPage = await page.evaluate(() => ({ problems: window.__problems, xss: window.__xss }));
    assert.equal(inPage.xss, false, `a script of the page's text ran on ${page.url()}`);
    assert.deepEqual([...problems, ...inPage.problems], [], `problems on ${page.url()}`);
    const outside = requests.filter((url) => !url.startsWith("file://"));
    assert.deepEqual(outside, [], "requests that are not file://");
  };
  return page;
}

/** Opens a URL, waits for the deferred scripts, and checks the page's accessibility basics. */
async function visit(page, url) {
  const sameDocument = page.url().split("#")[0] === url.split("#")[0];
  await page.goto(url, { waitUntil: "load" });
  // A new hash alone does not load the page again: load it, so focus starts afresh.
  if (sameDocument) await page.reload({ waitUntil: "load" });
  await accessibilityBasics(page);
  return page;
}

/** One main, one h1, a language, a label for every field, and the skip link first in tab order. */
async function accessibilityBasics(page) {
  const url = page.url();
  const facts = await page.evaluate(() => {
    const unlabelled = [...document.querySelectorAll("input, textarea, select")]
      .filter((field) => field.type !== "hidden")
      .filter((field) => {
        if (field.getAttribute("aria-label") || field.getAttribute("aria-labelledby")) return false;
        if (field.closest("label")) return false;
        return !(field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`));
      })
      .map((field) => field.outerHTML);
    return {
      mains: document.querySelectorAll("main").length,
      h1s: document.querySelectorAll("h1").length,
      lang: document.documentElement.getAttribute("lang"),
      unlabelled,
    };
  });
  assert.equal(facts.mains, 1, `one main on ${url}`);
  assert.equal(facts.h1s, 1, `one h1 on ${url}`);
  assert.ok(facts.lang, `html[lang] on ${url}`);
  assert.deepEqual(facts.unlabelled, [], `fields without a label on ${url}`);
  // A page that puts the focus in its main content itself (the search field) has no need of
  // the skip link; on any other, the first Tab reaches the skip link.
  const focusedInMain = await page.evaluate(() => {
    const el = document.activeElement;
    return el && el !== document.body && el.closest("main") ? `#${el.id}` : null;
  });
  if (focusedInMain) {
    assert.ok(focusedInMain.length > 1, `the field focused on ${url} has an id`);
    return;
  }
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName.toLowerCase()}.${el.className}` : "";
  });
  assert.equal(first, "a.skip-link", `first tab stop on ${url}`);
  await page.evaluate(() => document.activeElement?.blur());
}

async function shot(page, name, options = {}) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), ...options });
}

/** The rule ids of the paste box's candidates, in order. */
async function candidateIds(page) {
  await page.waitForSelector("#results li.candidate");
  return page.$$eval("#results li.candidate", (items) => items.map((item) => item.dataset.rule));
}

/** The search results of a query, as `{ href, text }` with hrefs relative to the site. */
async function searchFor(page, site, query) {
  await visit(page, pageUrl(site, "search/index.html", `?q=${encodeURIComponent(query)}`));
  await page.waitForFunction(() => document.getElementById("search-status").textContent !== "");
  const base = pathToFileURL(site + "/").href;
  return page.$$eval(
    "#search-results li",
    (items, base) =>
      items.map((item) => {
        const link = item.querySelector("a");
        return { href: link.href.replace(base, ""), text: item.textContent, kind: item.className };
      }),
    base,
  );
}


/** axe-core's violations on the page as it is now, as "rule: target" lines. */
async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // preload: false keeps axe from fetching the style sheets again, which the CSP forbids.
    const result = await window.axe.run(document, { resultTypes: ["violations"], preload: false });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
  return violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 5).join(", ")} (${v.nodes.length} nodes)`);
}

const seedReport = () => cliDiagnose(SEED);

describe("paste box", () => {
  test("diagnoses the seed paste as the command line does", async () => {
    const cli = seedReport();
    const expected = cli.diagnoses.slice(0, 3).map((d) => d.rule);
    assert.equal(expected.length, 3, "the command line finds three candidates for the seed");
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html"));
    await page.fill("#paste", SEED);
    await page.click("#diagnose");
    const ids = await candidateIds(page);
    assert.deepEqual(ids.slice(0, 3), expected);
    const codes = await page.$$eval("#found-codes li code", (nodes) => nodes.map((n) => n.textContent));
    assert.ok(codes.includes("0x904"), `found codes ${codes}`);
    assert.ok(codes.includes("0x7"), `found codes ${codes}`);
    assert.equal(await page.isVisible("#found-codes"), true);
    assert.equal(await page.isVisible("#share-link"), true);
    assert.ok(
      requests.some((url) => url.endsWith("/assets/engine.js")),
      "the request recorder sees the page's own files",
    );
    await shot(page, "index-seed", { fullPage: true });

    // The first candidate's link leads to its rule page.
    const first = page.locator("#results li.candidate").first().locator("h3 a");
    const title = (await first.textContent()).trim();
    await first.click();
    await page.waitForURL(new RegExp(`/rules/${expected[0]}/index\\.html$`));
    await accessibilityBasics(page);
    assert.equal((await page.textContent("h1")).trim(), title);
    assert.equal(title, cli.diagnoses[0].title);
    const commands = await page.locator("figure.command").count();
    const copies = page.locator("button.copy");
    assert.ok(commands > 0, "the rule page shows commands");
    assert.equal(await copies.count(), commands, "one copy button per command");
    // Each copy button says which command it copies, and each command block, which scrolls
    // sideways, can be reached with the keyboard.
    const names = await copies.evaluateAll((buttons) => buttons.map((b) => b.getAttribute("aria-label")));
    assert.equal(new Set(names).size, names.length, names.join(", "));
    assert.ok(names.every((n) => /^Copy the .+ command of step \d+$/.test(n)), names.join(", "));
    const focusable = await page.$$eval("figure.command pre", (blocks) => blocks.every((b) => b.tabIndex === 0));
    assert.ok(focusable, "command blocks are keyboard-focusable");
    await copies.first().click();
    await page.waitForFunction(() =>
      /Copied|Select and copy/.test(document.querySelector("button.copy").textContent),
    );
    await page.check();
    await page.close();
  });

  test("the engine reads and ranks every example, spelling and lab paste as the command line does", async () => {
    // Codes with their roles and families, and every candidate with its score, in order.
    const cases = cliReadings(RDP_DOCTOR, agreementTexts(RDP_DOCTOR));
    assert.ok(cases.length >= 400, `${cases.length} texts`);
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html"));
    const result = await page.evaluate(
      async ({ source, hostile, cases }) => {
        await window.RdpDoctor.ready;
        const compareInPage = new Function(`return ${source}`)();
        const survive = new Function(`return ${hostile}`)();
        return {
          ...compareInPage(cases, (text) => window.RdpDoctor.diagnose(text)),
          throws: survive((text) => window.RdpDoctor.diagnose(text)),
        };
      },
      { source: compare.toString(), hostile: hostileInputs.toString(), cases },
    );
    assert.equal(result.total, cases.length);
    assert.deepEqual(result.disagreements, [], "texts read or ranked differently in the browser");
    assert.deepEqual(result.throws, [], "inputs the engine threw on");
    await page.check();
    await page.close();
  });

  test("each candidate says why in words, with its summary, first step and page", async () => {
    const cli = seedReport();
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html"));
    await page.fill("#paste", SEED);
    await page.click("#diagnose");
    await candidateIds(page);
    const first = page.locator("#results li.candidate").first();
    const reason = (await first.locator(".reason").textContent()).trim();
    // The seed's best rule matched its dialog words and the code pair.
    assert.match(reason, /^Matched: .*error 0x904 with extended error 0x7/, reason);
    assert.doesNotMatch(reason, /regex|\(\?i\)|\\b/, "no regex in the plain reason");
    const summary = (await first.locator(".summary").textContent()).trim();
    const step = (await first.locator(".first-step").textContent()).trim();
    const more = await first.locator("a.more").getAttribute("href");
    assert.ok(more.endsWith(`rules/${cli.diagnoses[0].rule}/index.html`), more);
    // The signatures are still there, folded away.
    assert.equal(await first.locator("details.how").getAttribute("open"), null);
    assert.ok((await first.locator("details.how .evidence li").count()) > 0);
    // The summary and first step are the rule page's own.
    await first.locator("a.more").click();
    await page.waitForURL(/\/rules\//);
    assert.equal((await page.textContent("article .summary")).trim(), summary);
    const stepTitle = await page.$eval(".steps > li h3", (h) => h.firstChild.textContent.trim());
    const side = await page.$eval(".steps > li", (li) => (li.className.includes("client") ? "client" : "server"));
    assert.equal(step, `First step (on the ${side}): ${stepTitle}`);
    await page.check();
    await page.close();
  });

  test("the share link can hide host names, addresses and user names", async () => {
    const paste = "Remote Desktop can't connect to the remote computer rdsh07.corp.contoso.com (10.20.30.40) for one of these reasons. User: CONTOSO\\jdoe Error code: 0x204";
    const originals = ["rdsh07", "contoso", "10.20.30.40", "jdoe"];
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html"));
    await page.fill("#paste", paste);
    await page.click("#diagnose");
    await candidateIds(page);
    const shared = async () => decodeURIComponent((await page.getAttribute("#share-link", "href")).replace(/^#q=/, ""));
    assert.equal(await shared(), paste, "without the option the link holds the paste as it is");
    assert.equal(await page.isVisible("#redact-link"), true);
    await page.locator("#redact-link").check();
    const redacted = await shared();
    for (const original of originals) {
      assert.ok(!redacted.toLowerCase().includes(original), `${original} survives in the link: ${redacted}`);
    }
    assert.match(redacted, /host-1 \(ip-1\)/);
    assert.match(redacted, /domain-1\\user-1/);
    assert.match(await page.textContent("#redact-note"), /4 names and addresses are hidden/);
    // The redacted link still diagnoses the same error.
    const before = await candidateIds(page);
    await visit(page, pageUrl(SITE, "index.html", `#q=${encodeURIComponent(redacted)}`));
    assert.deepEqual((await candidateIds(page)).slice(0, 1), before.slice(0, 1));
    await page.check();
    await page.close();
  });

  test("a paste longer than the engine reads is cut, and says so", async () => {
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html"));
    const answer = await page.evaluate(async () => {
      await window.RdpDoctor.ready;
      const long = "Error code: 0x904. " + "x".repeat(2000000);
      const { truncated, codes } = window.RdpDoctor.diagnose(long);
      return { truncated, codes: codes.map((c) => c.code) };
    });
    assert.deepEqual(answer, { truncated: true, codes: ["0x904"] });
    await page.check();
    await page.close();
  });

  test("a shared link that would make a backtracking regex run for ever answers at once", async () => {
    // `(a+)+$` against 4,000 `a` and a `!` takes exponential time in JavaScript's regex engine;
    // the page runs the command line's linear-time engine.
    const paste = "zebra backtrack " + "a".repeat(4000) + "!";
    const page = await openPage();
    const started = Date.now();
    await visit(page, pageUrl(XSS_SITE, "index.html", `#q=${encodeURIComponent(paste)}`));
    await page.waitForSelector("#results li.candidate", { timeout: 10000 });
    const ids = await candidateIds(page);
    assert.ok(ids.includes("backtracking-regex"), ids.join(", "));
    assert.ok(Date.now() - started < 10000, `${Date.now() - started} ms`);
    await page.check();
    await page.close();
  });

  test("a shared link (#q=) diagnoses without a click", async () => {
    const expected = seedReport().diagnoses.slice(0, 3).map((d) => d.rule);
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html", `#q=${encodeURIComponent(SEED)}`));
    assert.equal(await page.inputValue("#paste"), SEED);
    assert.deepEqual((await candidateIds(page)).slice(0, 3), expected);
    await shot(page, "index-shared-link", { fullPage: true });
    await page.check();
    await page.close();
  });
});

describe("search", () => {
  test("the header search finds CredSSP rules", async () => {
    const page = await openPage();
    await visit(page, pageUrl(SITE, "index.html"));
    await page.fill("#site-search-input", "CredSSP");
    await page.press("#site-search-input", "Enter");
    await page.waitForURL(/\/search\/index\.html\?q=CredSSP$/);
    await page.waitForSelector("#search-results li");
    const rules = await page.$$eval("#search-results li.kind-rule", (items) => items.map((i) => i.textContent));
    assert.ok(rules.some((text) => /CredSSP/i.test(text)), `rule results: ${rules.join(" | ")}`);
    await accessibilityBasics(page);
    await page.check();
    await page.close();
  });

  test("typos are forgiven and codes are found in any spelling", async () => {
    const page = await openPage();
    for (const query of ["CredSPP", "certficate"]) {
      const results = await searchFor(page, SITE, query);
      assert.ok(results.length > 0, `results for ${query}`);
    }
    const credssp = await searchFor(page, SITE, "CredSPP");
    assert.ok(credssp.some((r) => /CredSSP/i.test(r.text)), "CredSPP finds CredSSP");
    const certificate = await searchFor(page, SITE, "certficate");
    assert.ok(certificate.some((r) => /certificate/i.test(r.text)), "certficate finds certificate");
    const code = await searchFor(page, SITE, "0x00000904");
    assert.ok(
      code.some((r) => r.href === "codes/disconnect/0x904/index.html"),
      `0x00000904 finds the code page: ${code.map((r) => r.href).join(", ")}`,
    );
    await page.check();
    await page.close();
  });

  test("exact codes, event IDs and symbols come first, with highlighted snippets", async () => {
    const page = await openPage();
    const first = async (query) => (await searchFor(page, SITE, query))[0];
    const code = await first("0x904");
    assert.equal(code.href, "codes/disconnect/0x904/index.html", JSON.stringify(code));
    const event = await first("event 1058");
    assert.match(event.text, /^Event 1058 /, JSON.stringify(event));
    const symbol = await first("ERRCONNECT_TLS_CONNECT_FAILED");
    assert.match(symbol.href, /^codes\/errconnect\//, JSON.stringify(symbol));
    // Every result has a snippet; the query's words are marked in it or in the title.
    await searchFor(page, SITE, "certificate expired");
    const results = await page.$$eval("#search-results li", (items) =>
      items.map((item) => ({
        snippet: item.querySelector(".snippet")?.textContent || "",
        marks: [...item.querySelectorAll("mark")].map((m) => m.textContent.toLowerCase()),
      })),
    );
    assert.ok(results.length > 3);
    assert.ok(results.every((r) => r.snippet.length > 20), "every result has a snippet");
    assert.ok(results.slice(0, 3).every((r) => r.marks.some((m) => m.startsWith("certificat") || m.startsWith("expire"))),
      JSON.stringify(results.slice(0, 3)));
    await shot(page, "search-highlight");
    await page.check();
    await page.close();
  });

  test("the address follows the query typed on the search page", async () => {
    const page = await openPage();
    await searchFor(page, SITE, "CredSSP");
    await page.fill("#search-input", "licensing");
    await page.waitForURL(/\?q=licensing$/);
    await page.reload({ waitUntil: "load" });
    assert.equal(await page.inputValue("#search-input"), "licensing");
    const results = await page.$$eval("#search-results li", (items) => items.map((i) => i.textContent));
    assert.ok(results.some((text) => /licens/i.test(text)), results.join(" | "));
    await page.check();
    await page.close();
  });
});

describe("pages", () => {
  test("every kind of page: one main, one h1, labels, skip link", async () => {
    const category = readdirSync(path.join(SITE, "categories"))[0];
    const page = await openPage();
    for (const relative of [
      "codes/index.html",
      "codes/disconnect/index.html",
      `categories/${category}/index.html`,
      "authoring/index.html",
    ]) {
      await visit(page, pageUrl(SITE, relative));
    }
    await page.check();
    await page.close();
  });

  test("axe-core finds no violation on any kind of page, light or dark", async () => {
    const rule = seedReport().diagnoses[0].rule;
    const category = readdirSync(path.join(SITE, "categories"))[0];
    const pages = [
      ["index", "index.html", ""],
      ["index, diagnosed", "index.html", `#q=${encodeURIComponent(SEED)}`],
      ["search", "search/index.html", "?q=0x904"],
      ["rule", `rules/${rule}/index.html`, ""],
      ["code", "codes/disconnect/0x904/index.html", ""],
      ["codes", "codes/index.html", ""],
      ["family", "codes/disconnect/index.html", ""],
      ["category", `categories/${category}/index.html`, ""],
      ["guide", "authoring/index.html", ""],
    ];
    const found = [];
    for (const scheme of ["light", "dark"]) {
      const page = await openPage();
      await page.emulateMedia({ colorScheme: scheme });
      for (const [kind, relative, suffix] of pages) {
        await page.goto(pageUrl(SITE, relative, suffix), { waitUntil: "load" });
        if (kind === "index, diagnosed") {
          await candidateIds(page);
          // The folded evidence is checked open too.
          await page.$$eval("details.how", (all) => all.forEach((d) => (d.open = true)));
        }
        if (kind === "search") await page.waitForSelector("#search-results li");
        const violations = await axeViolations(page);
        console.log(`axe ${scheme} ${kind}: ${violations.length} violations`);
        found.push(...violations.map((v) => `${scheme} ${kind}: ${v}`));
      }
      await page.check();
      await page.close();
      // The 404 page links its root-absolute files, which a folder does not have: its own
      // page, whose failed requests are expected.
      const missing = await context.newPage();
      await missing.emulateMedia({ colorScheme: scheme });
      await missing.goto(pageUrl(SITE, "404.html"));
      const violations = await axeViolations(missing);
      console.log(`axe ${scheme} 404: ${violations.length} violations`);
      found.push(...violations.map((v) => `${scheme} 404: ${v}`));
      await missing.close();
    }
    assert.deepEqual(found, []);
  });

  test("a rule page: an outline, what it looks like before why, and copy buttons beside commands", async () => {
    const rule = seedReport().diagnoses[0].rule;
    const page = await openPage();
    await visit(page, pageUrl(SITE, `rules/${rule}/index.html`));
    const outline = await page.$$eval("nav.toc a", (links) => links.map((a) => a.getAttribute("href")));
    assert.ok(outline.length >= 4, outline.join(", "));
    for (const target of outline) {
      assert.equal(await page.locator(target).count(), 1, `the outline's ${target} exists`);
    }
    const order = await page.$$eval("article h2", (hs) => hs.map((h) => h.id));
    assert.ok(order.indexOf("examples-heading") >= 0, order.join(", "));
    assert.ok(order.indexOf("examples-heading") < order.indexOf("causes-heading"), order.join(", "));
    // No copy button covers its command.
    const overlaps = await page.$$eval("figure.command", (figures) =>
      figures.filter((f) => {
        const b = f.querySelector("button.copy").getBoundingClientRect();
        const p = f.querySelector("pre").getBoundingClientRect();
        return b.bottom > p.top + 1 && b.top < p.bottom && b.right > p.left && b.left < p.right;
      }).length,
    );
    assert.equal(overlaps, 0, "copy buttons over their commands");
    await shot(page, "rule-desktop", { fullPage: true });
    await page.setViewportSize({ width: 375, height: 667 });
    await shot(page, "rule-375", { fullPage: true });
    await page.check();
    await page.close();
  });

  test("on a phone the header takes little of the screen", async () => {
    const page = await openPage({ width: 375, height: 667 });
    await visit(page, pageUrl(SITE, "index.html"));
    const height = await page.$eval(".site-header", (h) => h.getBoundingClientRect().height);
    console.log(`header at 375x667: ${Math.round(height)} px (${Math.round((height / 667) * 100)}%)`);
    assert.ok(height <= 0.2 * 667, `the header is ${height} px high`);
    await shot(page, "index-375-header");
    await page.check();
    await page.close();
  });

  test("dark mode: the switch, its memory, and the system preference", async () => {
    const rule = seedReport().diagnoses[0].rule;
    const page = await openPage();
    await visit(page, pageUrl(SITE, `rules/${rule}/index.html`));
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    assert.ok(!isDark(light), `light background by default: ${light}`);
    await page.click("#theme-toggle");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
    assert.equal(await page.getAttribute("#theme-toggle", "aria-pressed"), "true");
    const dark = await background();
    assert.ok(isDark(dark), `dark background after the switch: ${dark}`);
    await page.reload({ waitUntil: "load" });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
    assert.equal(await page.getAttribute("#theme-toggle", "aria-pressed"), "true");
    assert.ok(isDark(await background()), "still dark after a reload");
    await shot(page, "rule-dark", { fullPage: true });
    // Back to no choice, for the other tests.
    await page.evaluate(() => window.localStorage.removeItem("rdp-doctor-theme"));
    await page.check();
    await page.close();

    const system = await openPage();
    await system.emulateMedia({ colorScheme: "dark" });
    await visit(system, pageUrl(SITE, "index.html"));
    assert.equal(await system.evaluate(() => document.documentElement.dataset.theme), undefined);
    const systemDark = await system.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.ok(isDark(systemDark), `dark background from the system preference: ${systemDark}`);
    assert.equal(await system.getAttribute("#theme-toggle", "aria-pressed"), "true");
    await system.check();
    await system.close();
  });

  test("code page, 404 page and sitemap", async () => {
    const page = await openPage();
    await visit(page, pageUrl(SITE, "codes/disconnect/0x904/index.html"));
    assert.match(await page.textContent("h1"), /0x904/);
    const listed = await page.$$eval("ul.rule-list li a", (links) => links.map((a) => a.href));
    assert.ok(listed.length > 0, "the code page lists rules");
    assert.ok(listed.every((href) => /\/rules\/[^/]+\/index\.html$/.test(href)), listed.join(", "));
    await page.check();
    await page.close();

    // The 404 page is served by a host at any depth, so its links start at the site's root
    // ("/" without --base-url); its style sheet is also linked beside it, so the page opened
    // from the folder (file://) is styled too.
    const missing = await context.newPage();
    await missing.goto(pageUrl(SITE, "404.html"));
    await accessibilityBasics(missing);
    assert.equal((await missing.textContent("h1")).trim(), "Page not found");
    const links = await missing.$$eval("link[href], script[src], a[href], form[action]", (nodes) =>
      nodes.map((n) => n.getAttribute("href") || n.getAttribute("src") || n.getAttribute("action")),
    );
    assert.ok(
      links.every((l) => l.startsWith("/") || l.startsWith("#") || l === "assets/style.css"),
      links.join(", "),
    );
    const skipLink = await missing.$eval(".skip-link", (a) => getComputedStyle(a).position);
    assert.equal(skipLink, "absolute", "the 404 page is styled from file://");
    // Its two search forms are told apart by name.
    const searches = await missing.$$eval("[role=search]", (forms) => forms.map((f) => f.getAttribute("aria-label")));
    assert.equal(new Set(searches).size, searches.length, searches.join(", "));
    await missing.close();

    // The sitemap parses as XML and lists every rule page.
    const xml = readFileSync(path.join(SITE, "sitemap.xml"), "utf8");
    const parsed = await context.newPage();
    await parsed.goto(pageUrl(SITE, "index.html"));
    const sitemap = await parsed.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, "application/xml");
      return {
        error: doc.querySelector("parsererror")?.textContent ?? null,
        root: doc.documentElement.localName,
        ns: doc.documentElement.namespaceURI,
        locs: [...doc.getElementsByTagNameNS("*", "loc")].map((loc) => loc.textContent),
      };
    }, xml);
    await parsed.close();
    assert.equal(sitemap.error, null);
    assert.equal(sitemap.root, "urlset");
    assert.equal(sitemap.ns, "http://www.sitemaps.org/schemas/sitemap/0.9");
    const rulePages = readdirSync(path.join(SITE, "rules")).map((id) => `rules/${id}/`);
    assert.ok(rulePages.length > 50, `rule pages: ${rulePages.length}`);
    const missingFromSitemap = rulePages.filter((loc) => !sitemap.locs.includes(loc));
    assert.deepEqual(missingFromSitemap, [], "rule pages missing from the sitemap");
    for (const loc of sitemap.locs) {
      const file = path.join(SITE, loc.endsWith("/") || loc === "" ? `${loc}index.html` : loc);
      assert.ok(existsSync(file), `the sitemap lists ${loc}, which does not exist`);
    }
  });

  test("small screens: no sideways scrolling at 375 px", async () => {
    const page = await openPage({ width: 375, height: 812 });
    await visit(page, pageUrl(SITE, "index.html"));
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok((await width()) <= 375, `index scroll width ${await width()}`);
    await shot(page, "index-375", { fullPage: true });
    await visit(page, pageUrl(SITE, "index.html", `#q=${encodeURIComponent(SEED)}`));
    await candidateIds(page);
    await shot(page, "index-375-seed", { fullPage: true });
    assert.ok((await width()) <= 375, `diagnosed index scroll width ${await width()}`);
    const rule = seedReport().diagnoses[0].rule;
    await visit(page, pageUrl(SITE, `rules/${rule}/index.html`));
    assert.ok((await width()) <= 375, `rule page scroll width ${await width()}`);
    await page.check();
    await page.close();
  });

  test("printing hides the header and the buttons", async () => {
    const rule = seedReport().diagnoses[0].rule;
    const page = await openPage();
    await visit(page, pageUrl(SITE, `rules/${rule}/index.html`));
    await page.emulateMedia({ media: "print" });
    const display = (selector) =>
      page.$eval(selector, (el) => getComputedStyle(el).display);
    assert.equal(await display("header.site-header"), "none");
    assert.equal(await display("footer.site-footer"), "none");
    assert.equal(await display("button.copy"), "none");
    assert.notEqual(await display("main"), "none");
    await page.emulateMedia({ media: "screen" });
    assert.notEqual(await display("header.site-header"), "none");
    await page.check();
    await page.close();
  });
});

describe("markup in rules is shown as text", () => {
  test("the probe rule loads", () => {
    const out = execFileSync(RDP_DOCTOR, ["rules", "check", XSS_RULES], { encoding: "utf8" });
    assert.ok(out !== undefined);
    const report = cliDiagnose(XSS_PASTE, ["--rules", XSS_RULES]);
    assert.equal(report.diagnoses[0]?.rule, "xss-probe");
  });

  for (const [name, relative, suffix] of [
    ["rule page", "rules/xss-probe/index.html", ""],
    ["search page", "search/index.html", `?q=${encodeURIComponent(`${SCRIPT} ${IMG}`)}`],
    ["paste box", "index.html", `#q=${encodeURIComponent(XSS_PASTE)}`],
  ]) {
    test(name, async () => {
      const page = await openPage();
      await visit(page, pageUrl(XSS_SITE, relative, suffix));
      if (name === "paste box") {
        assert.ok((await candidateIds(page)).includes("xss-probe"), "the paste matches the probe rule");
      }
      if (name === "search page") {
        const links = await page.$$eval("#search-results li a", (as) => as.map((a) => a.getAttribute("href")));
        assert.ok(links.includes("../rules/xss-probe/index.html"), `results: ${links.join(", ")}`);
      }
      // Give a payload that would run on load or on an image error the time to do it.
      await page.waitForTimeout(200);
      const state = await page.evaluate(() => ({
        xss: window.__xss,
        images: document.querySelectorAll("img").length,
        inlineScripts: [...document.scripts].filter((s) => !s.src).length,
        handlers: [...document.querySelectorAll("*")].filter((el) =>
          [...el.attributes].some((a) => a.name.startsWith("on")),
        ).length,
        text: document.body.innerText,
      }));
      assert.equal(state.xss, false, "a payload ran");
      assert.equal(state.images, 0, "an <img> came from the text");
      assert.equal(state.inlineScripts, 0, "a <script> came from the text");
      assert.equal(state.handlers, 0, "an on* attribute came from the text");
      assert.ok(state.text.includes(SCRIPT), `${SCRIPT} shows as text`);
      assert.ok(state.text.includes(IMG), `${IMG} shows as text`);
      await shot(page, `xss-${name.replace(" ", "-")}`, { fullPage: true });
      await page.check();
      await page.close();
    });
  }
});

/** True for a computed colour whose relative luminance is low. */
function isDark(color) {
  const [r, g, b] = color.match(/\d+(\.\d+)?/g).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 80;
}
