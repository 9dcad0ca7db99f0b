// What a person types on their link's page, kept in this tab while they type, and put
// back when the page is drawn again empty. Phones discard a tab in the background (while
// its person looks up a friend's number in Contacts) and load it again when they come
// back; a pull-to-refresh, or Back after following a link, loads it again too. The page
// is sent with no-store, and its people's fields with autocomplete="off" (privacy: no
// copy in the browser's cache, none of the person's own details autofilled into their
// contacts' rows), so the browser keeps nothing of it: every row lost was a contact not
// warned.
//
// Kept in sessionStorage: this tab only, gone when it closes, never sent anywhere. Keyed
// by the link's own address (its token), without ?lang=, so that the page opened in the
// other language finds it too. Nothing hidden is kept (the page's language field, any
// token). A page the server drew with answers (errors after sending, the language
// switched) shows what the server has: it is never overwritten, and is kept as it
// stands. Dropped by any page at the link's address that takes the typing no more
// (data-drop-typing, templates/online/base.html): the thanks, the page saying the
// answers came already or the case moved on, the page of a link out of time or
// replaced by a newer one (whose new address would never find it), and the list of
// people not saved, to phone about. Left there, the names and numbers of other people
// would stay in the tab for the next person at a shared computer. The page asking
// them to wait a minute keeps it: the link still works.

const KEY = `online-draft:${window.location.pathname}`;
const FORM = "form[data-keep-draft]";
const PUT_BACK = {
  en: "We have put back what you typed on this phone. Check it and send it.",
  cy: "Rydym wedi rhoi'n ôl yr hyn a deipioch ar y ffôn hwn. Gwiriwch ef a'i anfon.",
};

// A tab whose storage is refused (a private window on some phones, storage full) keeps
// nothing, as before: the page works without it.
function stored() {
  try {
    return JSON.parse(window.sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}
function store(entries) {
  try {
    if (entries.length) window.sessionStorage.setItem(KEY, JSON.stringify(entries));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // Not kept: nothing more to do.
  }
}
function forget() {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // Nothing was kept.
  }
}

// The fields a person types in: not buttons, not hidden ones.
const SKIPPED = new Set(["hidden", "submit", "button", "reset", "image", "file", "password"]);
function typedFields(form) {
  return [...form.elements].filter(
    (field) => field.name && !SKIPPED.has(field.type) && field.tagName !== "BUTTON",
  );
}

// [name, value] for each value given: what a sending would carry, empty ones left out.
function entriesOf(form) {
  const entries = [];
  for (const field of typedFields(form)) {
    if (field.type === "radio" || field.type === "checkbox") {
      if (field.checked) entries.push([field.name, field.value]);
    } else if (field.tagName === "SELECT") {
      for (const option of field.selectedOptions) {
        if (option.value) entries.push([field.name, option.value]);
      }
    } else if (field.value) {
      entries.push([field.name, field.value]);
    }
  }
  return entries;
}

// Puts the entries back in the fields of those names; a row behind "Add more people" (a
// closed <details>) that gets one is opened, as the server opens it when drawing typing
// back. True when anything was put back.
function putBack(form, entries) {
  const values = new Map();
  for (const [name, value] of entries) {
    if (!values.has(name)) values.set(name, []);
    values.get(name).push(value);
  }
  let any = false;
  for (const field of typedFields(form)) {
    const given = values.get(field.name);
    if (!given) continue;
    if (field.type === "radio" || field.type === "checkbox") {
      field.checked = given.includes(field.value);
      if (!field.checked) continue;
    } else if (field.tagName === "SELECT") {
      for (const option of field.options) option.selected = given.includes(option.value);
    } else {
      field.value = given[0];
    }
    any = true;
    const closed = field.closest("details:not([open])");
    if (closed) closed.open = true;
  }
  return any;
}

// The short notice at the top of the form, in the page's language.
function sayPutBack(form) {
  const welsh = document.documentElement.lang.toLowerCase().startsWith("cy");
  const notice = document.createElement("div");
  notice.className = "nhsuk-inset-text";
  notice.id = "typing-put-back";
  notice.setAttribute("role", "status");
  const line = document.createElement("p");
  line.textContent = PUT_BACK[welsh ? "cy" : "en"];
  notice.append(line);
  form.prepend(notice);
}

function keepDraft(form) {
  const drawnWithAnswers = form.hasAttribute("data-drawn-with-answers");
  const draft = stored();
  if (drawnWithAnswers) {
    store(entriesOf(form));
  } else if (Array.isArray(draft) && draft.length && putBack(form, draft)) {
    sayPutBack(form);
    // Typing not yet sent, as if typed again: leaving asks first (static/js/app.js).
    form.dispatchEvent(new Event("input", { bubbles: true }));
  }
  const save = () => store(entriesOf(form));
  form.addEventListener("input", save);
  form.addEventListener("change", save);
}

if (document.querySelector("[data-drop-typing]")) {
  forget();
} else {
  const form = document.querySelector(FORM);
  if (form) keepDraft(form);
}
