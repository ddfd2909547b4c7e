// Gated next to gated.js: recreated scripts must run in the order of the page.
(window.__gatedOrder = window.__gatedOrder || []).push("second");
