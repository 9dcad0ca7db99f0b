// The print button of a page made to be printed (the subject access export): shown
// only where a script runs, since without one it could do nothing.
const button = document.getElementById("print-page");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
