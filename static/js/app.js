// The service's own script (a module, served as a file: the Content-Security-Policy
// allows no inline script). It starts the NHS.UK components and adds what a busy day
// needs: a warning before the session ends, focus moved to what just changed, and a
// question before leaving a page with unsaved typing.
import { initAll } from "../vendor/nhsuk-frontend-10.6.1/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// --- focus: a confirmation or an error summary takes it, on load and after a swap ---
// The root itself counts: a swap of the element itself (outerHTML: a row of New
// starters) puts in its place the confirmation that is to take focus.
function focusFirst(root) {
  const find = (selector) =>
    root.matches?.(selector) ? root : root.querySelector(selector);
  const target = find(".nhsuk-error-summary") || find("[data-focus-on-load]");
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
    target.scrollIntoView({ block: "start" });
  }
}
focusFirst(document);
// A swap of the target itself (outerHTML) leaves event.detail.target detached: htmx
// fires the event on each element it put in its place (event.target), which is where
// the new content is (failing that, the replacement by the same id). A page drawn
// again by Back or Forward (htmx's history restore) names no target: the element
// swapped is it.
function swapped(event) {
  const target = event.detail?.target;
  if (!target) return event.target instanceof Element ? event.target : document.body;
  if (target.isConnected) return target;
  const put = event.target;
  if (put instanceof Element && put.isConnected && put !== document.body) return put;
  return (target.id && document.getElementById(target.id)) || document.body;
}
document.body.addEventListener("htmx:afterSwap", (event) => {
  const root = swapped(event);
  initAll({ scope: root });
  focusFirst(root);
  keepTypedShownBack(root);
});

// --- the title says "Error: " while a form's errors show (the NHS.UK error pattern) ---
// The server titles a page drawn with errors so; a section swapped in has no title of
// its own. (After settling: htmx sets a title the answer carries after the swap.)
const ERROR_PREFIX = document.documentElement.lang.toLowerCase().startsWith("cy")
  ? "Gwall: "
  : "Error: ";
const SUMMARY = ".nhsuk-error-summary";
document.body.addEventListener("htmx:afterSettle", (event) => {
  const root = swapped(event);
  const titled = document.title.startsWith(ERROR_PREFIX);
  if (root.matches?.(SUMMARY) || root.querySelector(SUMMARY)) {
    if (!titled) document.title = ERROR_PREFIX + document.title;
  } else if (titled && !document.querySelector(SUMMARY)) {
    document.title = document.title.slice(ERROR_PREFIX.length);
  }
});

// --- a request the server refused, or could not be sent: said, the typing kept -----
// htmx swaps no 4xx or 5xx answer, so the page stayed as it was without a word (a call
// logged after the contact was given to someone else was lost so). The views of the
// case and contact pages answer such a refusal with its reason themselves
// (pages/desk/taken.py); this is for anything else.
const REFUSED = {
  403: "Not saved: you may no longer change this.",
  404: "Not saved: this is no longer here.",
  413: "Not saved: that is more than the service takes at once.",
};
// The form whose save the box is about, and whether it was a draft kept as typed.
let notSavedFrom = null;
function sayNotSaved(text, { focus = true, from = null } = {}) {
  const main = document.getElementById("maincontent");
  if (!main) return;
  document.getElementById("not-saved")?.remove(); // one at a time, the latest
  notSavedFrom = from;
  const box = document.createElement("div");
  box.id = "not-saved";
  box.className = "nhsuk-error-summary";
  box.setAttribute("tabindex", "-1");
  const alert = document.createElement("div");
  alert.setAttribute("role", "alert");
  const heading = document.createElement("h2");
  heading.className = "nhsuk-error-summary__heading";
  heading.textContent = "There is a problem";
  const body = document.createElement("p");
  body.className = "nhsuk-error-summary__body";
  body.textContent = `${text} What you typed is still in the form.`;
  alert.append(heading, body);
  box.append(alert);
  main.prepend(box);
  if (focus) {
    box.focus();
    box.scrollIntoView({ block: "start" });
  }
}
// Only what was sent to be saved: a refresh that fails waits for the next one.
const sending = (event) => event.detail.requestConfig?.verb !== "get";
// Where a save came from: its form (or the element that sent it), and whether it was a
// draft kept as they type.
function sentFrom(event) {
  const elt = event.detail.elt;
  return {
    form: elt.closest?.("form") || elt,
    draft: Boolean(elt.closest?.(".app-draft")),
  };
}
document.body.addEventListener("htmx:responseError", (event) => {
  if (!sending(event)) return;
  const status = event.detail.xhr.status;
  const from = sentFrom(event);
  sayNotSaved(
    REFUSED[status] ||
      "Not saved: something went wrong on our side (it has been logged). Try again.",
    // A draft kept as they type: said (role=alert), the keyboard left where it is.
    { focus: !from.draft, from },
  );
});
document.body.addEventListener("htmx:sendError", (event) => {
  if (!sending(event)) return;
  sayNotSaved("Not saved: the service could not be reached. Check your connection.", {
    from: sentFrom(event),
  });
});
// Saved on a later try: the box is wrong now (the form is empty, a handler would log the
// call again). A draft kept says nothing of the form's own save; a save from another
// form says nothing of this one, unless that form is gone from the page.
document.body.addEventListener("htmx:afterRequest", (event) => {
  const box = document.getElementById("not-saved");
  if (!box || !sending(event) || !event.detail.successful) return;
  const from = sentFrom(event);
  const failed = notSavedFrom;
  const same = failed && (failed.form === from.form || !failed.form.isConnected);
  if (!failed || (same && (!from.draft || failed.draft))) {
    box.remove();
    notSavedFrom = null;
  }
});

// --- a refresh that would replace what the keyboard is in waits for the next one ----
// (The supervisor dashboard's board polls every minute: swapping it under a focused
// link would drop the focus to the top of the page.)
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (
    elt.hasAttribute("data-refresh-waits-for-focus") &&
    elt.contains(document.activeElement)
  ) {
    event.preventDefault();
  }
});

// --- unsaved typing: ask before leaving; forms that keep a draft say so -------------
// `typed`: forms with typing not yet saved by their own submit. `dirty`: those whose
// typing is not kept anywhere yet (no draft sent since): leaving asks only for these,
// completing asks for any typed form.
const typed = new Set();
const dirty = new Set();
const live = (set) => [...set].filter((form) => document.contains(form));
document.addEventListener("input", (event) => {
  const form = event.target.closest("form[data-warn-unsaved]");
  if (form) {
    typed.add(form);
    dirty.add(form);
  }
});
document.addEventListener("submit", (event) => {
  // Completing, or leaving through a form, with typing elsewhere on the page.
  const ask = event.target.getAttribute("data-confirm-unsaved");
  const others = live(typed).filter((form) => form !== event.target);
  if (ask && others.length) {
    if (!window.confirm(ask)) {
      event.preventDefault();
      return;
    }
    // Losing that typing is agreed: the browser does not ask again on leaving.
    for (const form of others) {
      typed.delete(form);
      dirty.delete(form);
    }
  }
  dirty.delete(event.target);
});
// Typing drawn back into a form, not sent: the online pages' language switched
// (data-typed-unsaved). It asks before leaving as typing does; it was a new form,
// counted only once typed in again.
function keepTypedShownBack(root) {
  const forms = root.matches?.("form[data-warn-unsaved][data-typed-unsaved]")
    ? [root]
    : [...root.querySelectorAll("form[data-warn-unsaved][data-typed-unsaved]")];
  for (const form of forms) {
    typed.add(form);
    dirty.add(form);
  }
}
keepTypedShownBack(document);
document.body.addEventListener("htmx:afterRequest", (event) => {
  const elt = event.detail.elt;
  const form = elt.closest ? elt.closest("form") : null;
  if (!form || !event.detail.successful) return;
  dirty.delete(form); // its own save, or its draft, keeps the typing now
  if (elt === form) typed.delete(form);
  // (A save refused with its errors is drawn back: keepTypedShownBack, on the swap.)
});
window.addEventListener("beforeunload", (event) => {
  if (live(dirty).length) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// --- the session: a warning two minutes before it ends, with "stay signed in" -------
const body = document.body;
const seconds = Number(body.dataset.sessionSeconds || 0);
if (seconds > 0) {
  const warning = document.getElementById("session-warning");
  const countdown = document.getElementById("session-warning-countdown");
  const stay = document.getElementById("session-stay");
  const warnBefore = Math.min(120, Math.floor(seconds / 4));
  let expiresAt = Date.now() + seconds * 1000;
  let ticker = null;

  const csrf = () => {
    const headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  };
  const hide = () => {
    warning.hidden = true;
    clearInterval(ticker);
    ticker = null;
  };
  const signedOut = () => {
    // The page's own address (a form refused is drawn at the address it posts to,
    // which answers no GET: a 405 after signing in again).
    const page = body.dataset.pageUrl || window.location.pathname + window.location.search;
    window.location.assign(
      `${body.dataset.signInUrl}?next=${encodeURIComponent(page)}&expired=1`,
    );
  };
  let asking = false;
  const tick = async () => {
    const left = Math.round((expiresAt - Date.now()) / 1000);
    if (left <= 0) {
      // Another tab may have kept the session going: ask before leaving the page.
      if (asking) return;
      asking = true;
      try {
        const answer = await fetch(body.dataset.sessionLeftUrl, {
          credentials: "same-origin",
        });
        const still = answer.ok ? Number((await answer.json()).seconds || 0) : 0;
        if (still > 0) {
          expiresAt = Date.now() + still * 1000;
          if (expiresAt - Date.now() > warnBefore * 1000) hide();
          return;
        }
      } catch {
        // Not reachable: counted as ended, as before.
      } finally {
        asking = false;
      }
      return signedOut();
    }
    countdown.textContent =
      left > 60 ? `${Math.ceil(left / 60)} minutes` : `${left} seconds`;
  };
  let before = null;
  const show = () => {
    before = document.activeElement;
    warning.hidden = false;
    warning.focus();
    tick();
    ticker = setInterval(tick, 1000);
  };
  const restoreFocus = () => {
    if (before && before.isConnected && before !== document.body) before.focus();
    before = null;
  };
  const touched = (event) => {
    // A refresh the page makes by itself (the dashboard's every minute) is not the
    // person at work: it neither keeps the session going (the server does not count
    // it either) nor hides the warning.
    if (event?.detail?.requestConfig?.verb === "get" && event.detail.elt?.matches?.("[data-background]")) return;
    expiresAt = Date.now() + seconds * 1000;
    if (!warning.hidden) {
      hide();
      restoreFocus();
    }
  };
  setInterval(() => {
    if (warning.hidden && expiresAt - Date.now() <= warnBefore * 1000) show();
  }, 1000);
  // The warning is a modal dialog: Tab stays within it.
  warning.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = [...warning.querySelectorAll("button, a[href]")];
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  document.body.addEventListener("htmx:afterRequest", touched);
  stay.addEventListener("click", async () => {
    const answer = await fetch(body.dataset.keepAliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
    if (answer.ok) touched();
    else signedOut();
  });
}
