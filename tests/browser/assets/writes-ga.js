// Not gated: a tag that writes its cookie whatever the visitor chose, and says it did.
document.cookie = "_ga=GA1.1.page; path=/; max-age=3600; SameSite=Lax";
window.__gaWritten = document.cookie.includes("_ga=GA1.1.page");
