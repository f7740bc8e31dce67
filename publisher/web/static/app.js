// Sends the session's CSRF token with every htmx request (the page keeps it in <body data-csrf>).
// No inline script anywhere: the Content-Security-Policy allows scripts from this site only.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.getAttribute("data-csrf");
  if (token) { event.detail.headers["X-CSRF-Token"] = token; }
});
