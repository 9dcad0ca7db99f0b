// The desk's own script (a module, served as a file: no inline script). The page
// script (app.js) does the general work: components, focus after an update, the
// question before leaving unsaved typing. This adds what the case page needs.
//
// 1. Completing the case asks first when typing elsewhere is not saved. app.js asks
//    on the form's submit event, at the document; htmx would already have sent a form
//    it listens to by then. So the "Complete" form is sent by htmx on an event of our
//    own ("desk-complete"), raised here on the window, after app.js has asked and
//    only if the caseworker chose to go on. Without JavaScript it is a normal POST.
// 2. When the server sends the page elsewhere (the case completed, or gone to the
//    local team), the caseworker has answered already: leaving does not ask again.

window.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-desk-complete")) {
    return;
  }
  if (event.defaultPrevented || !window.htmx) return; // they chose to stay, or no htmx
  event.preventDefault();
  window.htmx.trigger(form, "desk-complete");
});

let sentElsewhere = false;
document.body.addEventListener("htmx:beforeOnLoad", (event) => {
  const xhr = event.detail.xhr;
  if (xhr && (xhr.getResponseHeader("HX-Redirect") || xhr.getResponseHeader("HX-Refresh"))) {
    sentElsewhere = true;
  }
});
// A capturing listener on the window runs before app.js's own, and stops it.
window.addEventListener(
  "beforeunload",
  (event) => {
    if (sentElsewhere) event.stopImmediatePropagation();
  },
  { capture: true },
);
