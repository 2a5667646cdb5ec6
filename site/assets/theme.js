// Applies the theme the reader chose before the page paints; without a choice, the
// system's light or dark preference applies through the style sheet.
(function () {
  "use strict";
  var stored = null;
  try {
    stored = window.localStorage.getItem("rdp-doctor-theme");
  } catch (e) {
    // Storage can be disabled (private windows, some file:// settings): keep the default.
  }
  if (stored === "dark" || stored === "light") {
    document.documentElement.dataset.theme = stored;
  }
})();
