// "Add a connection": provider credentials are validated by Orion against the provider, and
// the provider's refusal (422) or unavailability (502) is shown as the API words it.

import { announce, errorText, field, h, select } from "../dom.js";

const INTERVALS = [
  ["900", "Every 15 minutes"],
  ["3600", "Every hour"],
  ["21600", "Every 6 hours"],
  ["86400", "Every day"],
];

function secretInput(id, placeholder) {
  return h("input", { id, name: id, type: "password", autocomplete: "off", spellcheck: false, placeholder, required: true });
}

export function connectionForm({ api, onCreated }) {
  const provider = select("provider", [
    ["stripe", "Stripe"],
    ["hubspot", "HubSpot"],
  ]);
  const displayName = h("input", { id: "display-name", name: "display-name", maxLength: 200, autocomplete: "off" });
  const apiKey = secretInput("stripe-api-key", "sk_test_… or rk_…");
  const webhookSecret = h("input", { id: "stripe-webhook-secret", type: "password", autocomplete: "off", placeholder: "whsec_…" });
  const accessToken = secretInput("hubspot-token", "pat-…");
  const interval = select("sync-interval", INTERVALS, "3600");
  const stripeFields = h(
    "div",
    { class: "provider-fields" },
    field("Secret API key", apiKey, "A secret or restricted key with read access to customers, invoices and events."),
    field("Webhook signing secret (optional)", webhookSecret, "From the Stripe webhook endpoint; lets Orion verify its deliveries."),
  );
  const hubspotFields = h(
    "div",
    { class: "provider-fields", hidden: true },
    field("Private app access token", accessToken, "Needs the CRM read scopes for contacts and invoices."),
  );
  const status = h("div", { class: "form-status", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Connect");

  function showProviderFields() {
    const stripe = provider.value === "stripe";
    stripeFields.hidden = !stripe;
    hubspotFields.hidden = stripe;
    apiKey.required = stripe;
    accessToken.required = !stripe;
  }
  provider.addEventListener("change", showProviderFields);

  function body() {
    const common = {
      provider: provider.value,
      display_name: displayName.value.trim() || null,
      sync_interval_seconds: Number(interval.value),
    };
    if (provider.value === "hubspot") return { ...common, access_token: accessToken.value.trim() };
    const secrets = webhookSecret.value.trim() ? [webhookSecret.value.trim()] : [];
    return { ...common, api_key: apiKey.value.trim(), webhook_secrets: secrets };
  }

  const form = h(
    "form",
    { class: "connect-form", "aria-labelledby": "connect-title" },
    h("h2", { id: "connect-title" }, "Add a connection"),
    h("div", { class: "form-row" }, field("Provider", provider), field("Display name (optional)", displayName), field("Sync", interval)),
    stripeFields,
    hubspotFields,
    status,
    h("div", { class: "actions" }, submit),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.className = "form-status";
    status.textContent = "Checking the credentials with the provider…";
    try {
      const created = await api.post("/api/v1/connections", body());
      form.reset();
      showProviderFields();
      status.textContent = "";
      const name = created.display_name || created.provider;
      announce(`Connected ${name}.`);
      onCreated(created);
    } catch (error) {
      status.className = "form-status error";
      status.textContent = `Not connected: ${errorText(error)}`;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
