/* django-cookie-guard, docs/javascript.rst. Texts and settings come in data-* attributes. */
(() => {
  const script = document.currentScript;
  const $ = (selector, scope = document) => scope.querySelector(selector);
  const $$ = (selector, scope = document) => [...scope.querySelectorAll(selector)];
  // {% google_consent_mode %}'s copy: the defaults, before any Google tag.
  if (script?.dataset.ccConsentMode) {
    window.dataLayer = window.dataLayer || [];
    // Google's tags read arguments objects.
    window.gtag = window.gtag || function () { dataLayer.push(arguments); };
    const command = JSON.parse(script.dataset.ccConsentMode);
    gtag("consent", "default", command.default);
    for (const name in command.set) gtag("set", name, command.set[name]);
  }
  // Included twice: enhance once.
  if (window.cookieConsent) return;

  const CHANGE = "cookie-consent:change";
  let root, dialog, live, opener;
  const api = (window.cookieConsent = {
    state: null,
    gpc: false,
    granted: (slug) => !!api.state?.categories.some((c) => c.slug === slug && c.granted),
    showPreferences: () => root && openPreferences(),
    onChange(callback) {
      const listener = (event) => callback(event.detail);
      document.addEventListener(CHANGE, listener);
      return () => document.removeEventListener(CHANGE, listener);
    },
  });
  const lean = (state) => ({ ...state, categories: state.categories.map(({ description, cookies, ...c }) => c) });

  function init() {
    root = $("[data-cc-root]");
    if (!root) return;
    api.state = JSON.parse($("[data-cc-state]", root).textContent);
    dialog = $("[data-cc-dialog]", root);
    live = $("[data-cc-live]", root);
    api.gpc = api.state.gpc || (navigator.globalPrivacyControl === true && "ccHonorGpc" in root.dataset);
    if (api.gpc) honourBrowserSignal();
    document.addEventListener("submit", submit);
    document.addEventListener("click", click);
    dialog?.addEventListener("close", () => (opener?.isConnected ? opener : live).focus());
  }

  // GPC seen by the script only: drop what the server marked as covered, show its notice.
  function honourBrowserSignal() {
    const covered = $$("[data-cc-banner] [data-cc-gpc]");
    if (!covered.length) return;
    const banner = $("[data-cc-banner]");
    covered.forEach((choice) => choice.remove());
    banner.before($("[data-cc-gpc-template]", root).content.cloneNode(true));
    if ($("[name=categories]", banner)) banner.dataset.ccGpcApplied = "";
    else banner.remove();
  }

  async function submit(event) {
    const form = event.target;
    const banner = form.closest("[data-cc-banner]");
    if (!banner && !dialog?.contains(form)) return;
    event.preventDefault();
    if (form.dataset.ccBusy) return;
    const body = new URLSearchParams(new FormData(form));
    if (event.submitter?.name) body.append(event.submitter.name, event.submitter.value);
    if (banner && "ccGpcApplied" in banner.dataset && body.get("action") === "accept_all") {
      // Accept what is still asked; GPC refuses the rest.
      body.set("action", "save");
      $$("[name=categories]", form).forEach((box) => body.append("categories", box.value));
    }
    const status = $("[data-cc-status]", form) || live;
    let message = root.dataset.ccFailed;
    // Emptied, so a repeated message is announced again.
    status.textContent = live.textContent = "";
    form.dataset.ccBusy = "1";
    try {
      // Buttons named "action" shadow form.action.
      const response = await fetch(form.getAttribute("action"), { method: "POST", body, headers: { Accept: "application/json" } });
      const answer = await response.json();
      if (response.ok) return apply(answer);
      message = answer.error || message;
    } catch {
      // Offline, or not JSON (a proxy's error page).
    } finally {
      delete form.dataset.ccBusy;
    }
    status.textContent = message;
  }

  function apply(answer) {
    const had = new Set(api.state.categories.filter((c) => c.granted).map((c) => c.slug));
    let withdrawn = false;
    api.state = lean(answer);
    for (const { slug, granted } of api.state.categories) {
      if (granted && !had.has(slug)) $$(`template.cc-gate[data-cc-category="${slug}"]`).forEach(activate);
      withdrawn ||= !granted && had.has(slug);
    }
    if (!api.state.needs_decision) $$("[data-cc-banner],[data-cc-gpc-notice]").forEach((element) => element.remove());
    if (dialog?.open) dialog.close();
    live.textContent = root.dataset.ccSaved + (withdrawn ? " " + root.dataset.ccWithdrawn : "");
    $("[data-cc-reload]", root).hidden = !withdrawn;
    // Focus was in the removed banner.
    if (document.activeElement === document.body) live.focus();
    if ($("script[data-cc-consent-mode]")) {
      // A type is granted when a granted category lists it.
      const types = {};
      for (const { granted, consent_mode } of api.state.categories) {
        for (const type of consent_mode) if (types[type] !== "granted") types[type] = granted ? "granted" : "denied";
      }
      gtag("consent", "update", types);
    }
    document.dispatchEvent(new CustomEvent(CHANGE, { detail: api.state }));
  }

  // Scripts parsed in a <template> never run; fresh copies do, once (the gate goes).
  function activate(gate) {
    const content = document.importNode(gate.content, true);
    for (const old of $$("script", content)) {
      const fresh = document.createElement("script");
      fresh.async = false;
      for (const { name, value } of old.attributes) fresh.setAttribute(name, value);
      fresh.text = old.text;
      old.replaceWith(fresh);
    }
    gate.replaceWith(content);
  }

  function click(event) {
    // The target may be document.
    const closest = (selector) => event.target.closest?.(selector);
    const link = closest("[data-cc-open-preferences]");
    // Modified clicks (new tab…) follow the link.
    if (link && dialog && !(event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) {
      event.preventDefault();
      openPreferences();
    } else if (closest("[data-cc-close]")) dialog.close();
    else if (closest("[data-cc-reload]")) location.reload();
  }

  // The server's preferences page (a link may lead anywhere) in a modal dialog; the page itself on failure.
  async function openPreferences() {
    const url = root.dataset.ccPreferencesUrl;
    if (!dialog) return location.assign(url);
    if (dialog.open) return;
    opener = document.activeElement;
    try {
      const response = await fetch(url);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const preferences = response.ok && $("[data-cc-preferences]", page);
      if (!preferences) throw 0;
      $("[data-cc-dialog-body]", dialog).replaceChildren(preferences);
      dialog.showModal();
      // Start at the title.
      ($("#" + dialog.getAttribute("aria-labelledby")) || dialog).focus();
    } catch {
      location.assign(url);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
