// The PIN pad: on-screen keys type into the PIN field (touch screens have no keyboard).
// Delegated from the document so it keeps working after htmx swaps the page's body.
document.addEventListener("click", (event) => {
  const key = event.target.closest("[data-key]");
  if (!key) return;
  const pad = key.closest("[data-pin-pad]");
  const field = pad && pad.querySelector('input[name="pin"]');
  if (!field) return;
  if (key.dataset.key === "clear") {
    field.value = "";
  } else if (field.value.length < 8) {
    field.value += key.dataset.key;
  }
  field.focus();
});
