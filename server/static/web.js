// Light enhancement only: every page works without it.
// On the call forms, fields that do not apply when the patient was not reached are hidden.
document.addEventListener("DOMContentLoaded", () => {
  const radios = document.querySelectorAll("input[name='reached']");
  const details = document.getElementById("call-details");
  if (!radios.length || !details) return;
  const update = () => {
    const chosen = document.querySelector("input[name='reached']:checked");
    details.hidden = chosen !== null && chosen.value === "no";
  };
  radios.forEach((r) => r.addEventListener("change", update));
  update();
});
