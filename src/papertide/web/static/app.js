// papertide: a little progressive enhancement. Every feature works without this file.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  // Time zone: a new subscriber's field starts at the browser's own zone (they can type another).
  document.addEventListener("DOMContentLoaded", () => {
    const zone = document.querySelector('input#timezone[data-guess="browser"]');
    if (!zone || zone.value !== "UTC") return;
    try {
      const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (guess && document.querySelector(`#timezones option[value="${CSS.escape(guess)}"]`)) zone.value = guess;
    } catch (e) { /* no Intl: UTC stays */ }
  });

  // Colour theme: follows the system until the reader picks one; the choice is remembered here.
  const THEMES = ["system", "dark", "light"];
  function applyTheme(theme) {
    if (theme === "system") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", theme);
    const toggle = document.getElementById("theme-toggle");
    if (toggle) toggle.setAttribute("aria-label", theme === "system" ? "Colour theme: follows the system" : "Colour theme: " + theme);
  }
  let theme = "system";
  try { theme = localStorage.getItem("papertide-theme") || "system"; } catch (e) { /* storage off: follow the system */ }
  applyTheme(THEMES.includes(theme) ? theme : "system");
  document.addEventListener("DOMContentLoaded", () => {
    applyTheme(THEMES.includes(theme) ? theme : "system");
    const toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    toggle.addEventListener("click", () => {
      theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
      try { localStorage.setItem("papertide-theme", theme); } catch (e) { /* not remembered */ }
      applyTheme(theme);
    });
  });

  // Keyboard navigation: j/k move between cards, o opens, u upvotes, / focuses the search box.
  let current = -1;
  const cards = () => Array.from(document.querySelectorAll(".card"));
  function focusCard(i) {
    const all = cards();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((c, n) => c.classList.toggle("focused", n === current));
    all[current].focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)))) return;
    if (e.key === "j") { focusCard(current + 1); e.preventDefault(); }
    else if (e.key === "k") { focusCard(current - 1); e.preventDefault(); }
    else if (e.key === "o" && current >= 0) { const a = cards()[current].querySelector("a.title"); if (a) window.location = a.href; }
    else if (e.key === "u" && current >= 0) { const b = cards()[current].querySelector(".vote button, a.vote-button"); if (b) b.click(); }
    else if (e.key === "/") { const s = document.querySelector('.searchbox input'); if (s) { s.focus(); e.preventDefault(); } }
  });

  // Upvote without a page reload; a visitor who is not signed in follows the form to sign in.
  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!form.classList || !form.classList.contains("vote")) return;
    e.preventDefault();
    const id = form.dataset.paper;
    // Each part of the id encoded (an old-style arXiv id keeps its one "/"): an id is never a path.
    const path = id.split("/").map(encodeURIComponent).join("/");
    const resp = await fetch("/api/papers/" + path + "/upvote/toggle", {
      method: "POST", headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin",
    });
    if (resp.status === 401) { form.submit(); return; }
    if (!resp.ok) { alert((await resp.json()).error || "could not vote"); return; }
    const data = await resp.json();
    document.querySelectorAll('form.vote[data-paper="' + CSS.escape(id) + '"] button').forEach((b) => {
      b.classList.toggle("voted", data.voted);
      b.setAttribute("aria-pressed", String(data.voted));
      b.querySelector(".count").textContent = data.upvotes;
    });
  });

  // Copy buttons (BibTeX).
  document.addEventListener("click", async (e) => {
    const b = e.target.closest && e.target.closest("button.copy");
    if (!b) return;
    const text = document.querySelector(b.dataset.copy).textContent;
    try { await navigator.clipboard.writeText(text); b.textContent = "Copied"; }
    catch (_) { const r = document.createRange(); r.selectNodeContents(document.querySelector(b.dataset.copy));
      const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); b.textContent = "Selected: press Ctrl+C"; }
  });
})();
