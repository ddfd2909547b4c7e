// Stands in for an analytics tag: it sets a statistics cookie and shows that it ran, so
// that whether the consent gate let it load can be seen on the page and in the cookies.
document.cookie = "_ga=GA1.1.123.456; path=/; max-age=63072000; SameSite=Lax";

const marker = document.createElement("p");
marker.id = "fake-analytics-loaded";
marker.className = "fake-analytics-loaded";
marker.textContent = "analytics loaded";
(document.currentScript?.parentElement ?? document.body).append(marker);
