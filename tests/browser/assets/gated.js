// Gated under "statistics": counts its runs, which must be none before consent, then one.
window.__gatedRuns = (window.__gatedRuns || 0) + 1;
(window.__gatedOrder = window.__gatedOrder || []).push("first");
