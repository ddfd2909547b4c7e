/* django-cookie-guard: Google Consent Mode v2 defaults, before any Google tag loads.
   The values come from the server, in this script's data-cc-consent-mode attribute. */
(function () {
  var script = document.currentScript;
  var command = JSON.parse(script.getAttribute("data-cc-consent-mode"));
  window.dataLayer = window.dataLayer || [];
  // gtag pushes its arguments object itself: Google's tags read it in that form.
  window.gtag = window.gtag || function () { window.dataLayer.push(arguments); };
  window.gtag("consent", "default", command["default"]);
  for (var name in command.set) window.gtag("set", name, command.set[name]);
})();
