// How rdp-doctor starts Debian's headless Chromium, for the browser tests and the paste-box
// benchmark alike: no sandbox (the tests run as root), no GPU, and none of the background
// connections this machine's closed network would refuse.

/** Command-line switches for `chromium.launch` / `launchPersistentContext`. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
  "--disable-quic",
  "--disable-component-update",
  "--disable-sync",
];
